using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Persistence;
using Mesh.Security;
using Mesh.Testing;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>
/// The least-change migration (README, "With App Mesh's own image, unchanged"): a task keeps the aws-appmesh-envoy
/// image, its <c>APPMESH_RESOURCE_ARN</c> and the bootstrap the image's agent writes, and only gains
/// <c>APPMESH_XDS_ENDPOINT</c>. That bootstrap (docs/envoy-mapping.md §1) makes one state-of-the-world ADS stream over TLS,
/// checked against the image's CA bundle, to the endpoint as written; each stream is signed by the
/// <c>envoy.grpc_credentials.aws_iam</c> plugin (service <c>appmesh</c>, the task's <c>AWS_REGION</c>) with the task's
/// AWS credentials, here a Mesh proxy key; <c>node.id</c> and <c>node.cluster</c> are the ARN; and LDS and CDS come over
/// ADS with API version V3. This client makes those same requests against the production wiring: TLS, SigV4 checked
/// against the keys in PostgreSQL.
/// </summary>
public sealed class StockAppMeshImageTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string WebArn = $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/demo/virtualNode/web";

    [Fact]
    public async Task The_Images_Own_Bootstrap_With_APPMESH_XDS_ENDPOINT_Gets_Its_Listeners_And_Clusters()
    {
        using var pki = new TestCertificates("Operator CA in the image's bundle");
        var masterKey = SecretProtector.NewMasterKey();
        var contexts = new PooledDbContextFactory<MeshDbContext>(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(database.ConnectionString).Options);
        var proxyKey = await new AccessKeyStore(contexts, new SecretProtector(masterKey), TimeProvider.System)
            .CreateAsync(MeshRows.Account, KeyPolicy.Proxy(WebArn), "web task role", TaskTimeouts.Token()).DefaultTimeout();
        await new MeshStore(database.ConnectionString).ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token()).DefaultTimeout();
        await using var host = await XdsTestHost.StartAsync(database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Xds:Auth:Mode"] = "SigV4",
            ["Mesh:Auth:MasterKey"] = masterKey,
            ["Xds:Tls:CertificatePath"] = pki.ServerCertificatePath,
            ["Xds:Tls:KeyPath"] = pki.ServerKeyPath,
        });

        // APPMESH_XDS_ENDPOINT=localhost:<port>: the agent puts it as is in google_grpc.target_uri, so it is both the
        // name the certificate must carry and the host the aws_iam plugin signs.
        var endpoint = $"localhost:{host.GrpcUri.Port}";
        using var channel = GrpcChannel.ForAddress($"https://{endpoint}", new GrpcChannelOptions { HttpHandler = TrustingOnly(pki.Authority) });
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources(
            EnvoySigner.Sign(endpoint, EnvoySigner.AdsPath, proxyKey.AccessKeyId, proxyKey.SecretAccessKey, region: "us-east-1", service: "appmesh"));
        var node = new Node { Id = WebArn, Cluster = WebArn, UserAgentName = "envoy" };

        // Envoy on ADS asks for every cluster, then every listener, each with an empty name list (wildcard).
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster }).DefaultTimeout();
        var clusters = await NextAsync(call);
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.NotEmpty(clusters.Resources);
        await call.RequestStream.WriteAsync(Ack(clusters)).DefaultTimeout();

        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Listener }).DefaultTimeout();
        var listeners = await NextAsync(call);
        var names = AdsClient.Unpack<Envoy.Config.Listener.V3.Listener>(listeners).Select(l => l.Name);
        Assert.Contains("lds_ingress_0.0.0.0_15000", names);
        await call.RequestStream.WriteAsync(Ack(listeners)).DefaultTimeout();
        await host.ProcessedAsync(TypeUrls.Listener, "lds_ingress_0.0.0.0_15000", Envoy.Admin.V3.ClientResourceStatus.Acked);
    }

    [Fact]
    public async Task A_Task_Role_Other_Than_A_Mesh_Key_Is_Refused_With_The_Reason()
    {
        using var pki = new TestCertificates();
        await using var host = await XdsTestHost.StartAsync(database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Xds:Auth:Mode"] = "SigV4",
            ["Mesh:Auth:MasterKey"] = SecretProtector.NewMasterKey(),
            ["Xds:Tls:CertificatePath"] = pki.ServerCertificatePath,
            ["Xds:Tls:KeyPath"] = pki.ServerKeyPath,
        });
        var endpoint = $"localhost:{host.GrpcUri.Port}";
        using var channel = GrpcChannel.ForAddress($"https://{endpoint}", new GrpcChannelOptions { HttpHandler = TrustingOnly(pki.Authority) });

        // An AWS key of the old task role is unknown to Mesh: the proxy needs a key from `Mesh.Api keys create --proxy`.
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources(
            EnvoySigner.Sign(endpoint, EnvoySigner.AdsPath, "ASIAOLDTASKROLE00000", "aws-secret", sessionToken: "aws-session-token"));
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Node { Id = WebArn, Cluster = WebArn }, TypeUrl = TypeUrls.Cluster }).DefaultTimeout();

        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TaskTimeouts.Token()));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(AuthFailure.UnrecognizedClient, refused.Status.Detail);
    }

    /// <summary>As the image's root bundle: the server's chain must end at <paramref name="authority"/> and name the host dialled.</summary>
    private static SocketsHttpHandler TrustingOnly(X509Certificate2 authority) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { authority },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    };

    private static async Task<DiscoveryResponse> NextAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call)
    {
        Assert.True(await call.ResponseStream.MoveNext(TaskTimeouts.Token()));
        return call.ResponseStream.Current;
    }

    private static DiscoveryRequest Ack(DiscoveryResponse response) =>
        new() { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
}
