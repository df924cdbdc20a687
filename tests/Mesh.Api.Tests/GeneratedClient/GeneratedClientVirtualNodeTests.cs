using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>
/// A virtual node with most of its spec set (listeners with health check, TLS, timeouts, pools and outlier
/// detection; backends with client TLS; DNS discovery; JSON access logs) round-trips through the generated types.
/// </summary>
public sealed class GeneratedClientVirtualNodeTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task VirtualNode_RoundTrips()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        var spec = FullSpec();

        var created = await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput { VirtualNodeName = "orders", Spec = spec });
        WireAssert.FullyDescribed(created);
        Assert.Equal(mesh, created.MeshName);
        Assert.Equal("orders", created.VirtualNodeName);
        ResourceAssert.Metadata(created.Metadata, $"mesh/{mesh}/virtualNode/orders", version: 1);
        Assert.Equal(VirtualNodeStatusCode.ACTIVE, created.Status.Status);
        WireAssert.SameJson(spec, created.Spec);

        var described = await client.DescribeVirtualNodeAsync(mesh, "orders");
        WireAssert.FullyDescribed(described);
        WireAssert.SameJson(created, described);
        var listener = Assert.Single(described.Spec.Listeners!);
        Assert.Equal(ListenerTlsMode.STRICT, listener.Tls!.Mode);
        Assert.Equal("/certs/orders.pem", listener.Tls.Certificate.File!.CertificateChain);
        Assert.Null(listener.Tls.Certificate.Acm);
        Assert.Equal(2, listener.HealthCheck!.HealthyThreshold);

        var listed = await client.ListVirtualNodesAsync(mesh);
        WireAssert.FullyDescribed(listed);
        var reference = Assert.Single(listed.VirtualNodes);
        Assert.Equal(("orders", created.Metadata.Arn, 1L), (reference.VirtualNodeName, reference.Arn, reference.Version));

        spec.Listeners!.Single().Tls!.Mode = ListenerTlsMode.PERMISSIVE;
        spec.Backends!.Add(new Backend { VirtualService = new VirtualServiceBackend { VirtualServiceName = "cache.local" } });
        var updated = await client.UpdateVirtualNodeAsync(mesh, "orders", new UpdateVirtualNodeInput { Spec = spec });
        WireAssert.FullyDescribed(updated);
        ResourceAssert.Updated(created.Metadata, updated.Metadata);
        WireAssert.SameJson(spec, updated.Spec);
        Assert.Equal(2, updated.Spec.Backends!.Count);

        var deleted = await client.DeleteVirtualNodeAsync(mesh, "orders");
        WireAssert.FullyDescribed(deleted);
        Assert.Equal(VirtualNodeStatusCode.DELETED, deleted.Status.Status);
        Assert.Empty((await client.ListVirtualNodesAsync(mesh)).VirtualNodes);
    }

    private static VirtualNodeSpec FullSpec() => new()
    {
        Listeners =
        [
            new Listener
            {
                PortMapping = new PortMapping { Port = 8080, Protocol = PortProtocol.Http },
                HealthCheck = new HealthCheckPolicy
                {
                    Protocol = PortProtocol.Http,
                    Path = "/ping",
                    HealthyThreshold = 2,
                    UnhealthyThreshold = 3,
                    IntervalMillis = 5000,
                    TimeoutMillis = 2000,
                },
                Tls = new ListenerTls
                {
                    Mode = ListenerTlsMode.STRICT,
                    Certificate = new ListenerTlsCertificate
                    {
                        File = new ListenerTlsFileCertificate { CertificateChain = "/certs/orders.pem", PrivateKey = "/certs/orders.key" },
                    },
                    Validation = new ListenerTlsValidationContext
                    {
                        Trust = new ListenerTlsValidationContextTrust { File = new TlsValidationContextFileTrust { CertificateChain = "/certs/ca.pem" } },
                        SubjectAlternativeNames = new SubjectAlternativeNames
                        {
                            Match = new SubjectAlternativeNameMatchers { Exact = ["frontend.local"] },
                        },
                    },
                },
                Timeout = new ListenerTimeout
                {
                    Http = new HttpTimeout
                    {
                        PerRequest = new Duration { Unit = DurationUnit.S, Value = 15 },
                        Idle = new Duration { Unit = DurationUnit.Ms, Value = 300000 },
                    },
                },
                ConnectionPool = new VirtualNodeConnectionPool
                {
                    Http = new VirtualNodeHttpConnectionPool { MaxConnections = 100, MaxPendingRequests = 10 },
                },
                OutlierDetection = new OutlierDetection
                {
                    MaxServerErrors = 5,
                    MaxEjectionPercent = 50,
                    Interval = new Duration { Unit = DurationUnit.S, Value = 10 },
                    BaseEjectionDuration = new Duration { Unit = DurationUnit.S, Value = 30 },
                },
            },
        ],
        Backends =
        [
            new Backend
            {
                VirtualService = new VirtualServiceBackend
                {
                    VirtualServiceName = "payments.local",
                    ClientPolicy = new ClientPolicy
                    {
                        Tls = new ClientPolicyTls
                        {
                            Enforce = true,
                            Ports = [443],
                            Validation = new TlsValidationContext
                            {
                                Trust = new TlsValidationContextTrust { File = new TlsValidationContextFileTrust { CertificateChain = "/certs/ca.pem" } },
                            },
                        },
                    },
                },
            },
        ],
        BackendDefaults = new BackendDefaults
        {
            ClientPolicy = new ClientPolicy
            {
                Tls = new ClientPolicyTls
                {
                    Validation = new TlsValidationContext
                    {
                        Trust = new TlsValidationContextTrust { Sds = new TlsValidationContextSdsTrust { SecretName = "mesh-ca" } },
                    },
                },
            },
        },
        ServiceDiscovery = new ServiceDiscovery
        {
            Dns = new DnsServiceDiscovery { Hostname = "orders.local", ResponseType = DnsResponseType.LOADBALANCER, IpPreference = IpPreference.IPv4_PREFERRED },
        },
        Logging = new Logging
        {
            AccessLog = new AccessLog
            {
                File = new FileAccessLog
                {
                    Path = "/dev/stdout",
                    Format = new LoggingFormat { Json = [new JsonFormatRef { Key = "status", Value = "%RESPONSE_CODE%" }] },
                },
            },
        },
    };
}
