using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.Model.Identity;
using Mesh.Model.Specs;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Translation;

/// <summary>
/// Proxyless gRPC over TLS from the virtual nodes' own certificate files (gRFC A29), with the real clients and servers
/// installed here (python3-grpcio's C-core, @grpc/grpc-js-xds), each bootstrapped with the certificate providers
/// Mesh's gRPC bootstrap defines for its node: a STRICT listener with mutual TLS, a client policy with its trust,
/// SANs and certificate. The calls themselves show that the TLS is real: a SAN the server lacks, or no client
/// certificate, and they fail.
/// </summary>
public sealed class ProxylessTlsRealClientTests
{
    public static TheoryData<string> Clients() => new() { "python", "node" };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task MutualTls_From_The_Nodes_Files_Carries_Calls_Only_As_The_Client_Policy_Says(string kind)
    {
        using var pki = new TestCertificates();
        var (clientCertificate, clientKey) = pki.WriteClient("web", "spiffe://demo/web");
        var port = XdsTestHost.FreePort();
        var server = Spec(new
        {
            listeners = new[]
            {
                new
                {
                    portMapping = new { port, protocol = "grpc" },
                    tls = new
                    {
                        mode = "STRICT",
                        certificate = new { file = new { certificateChain = pki.ServerCertificatePath, privateKey = pki.ServerKeyPath } },
                        validation = new { trust = new { file = new { certificateChain = pki.CaPath } } },
                    },
                },
            },
            serviceDiscovery = new { dns = new { hostname = "127.0.0.1" } },
        });
        string Client(string? san, bool withCertificate) => Spec(new
        {
            listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } },
            serviceDiscovery = new { dns = new { hostname = "10.0.0.1" } },
            backends = new[] { new { virtualService = new { virtualServiceName = "api.demo.local" } } },
            backendDefaults = new
            {
                clientPolicy = new
                {
                    tls = new
                    {
                        certificate = withCertificate ? new { file = new { certificateChain = clientCertificate, privateKey = clientKey } } : null,
                        validation = new
                        {
                            trust = new { file = new { certificateChain = pki.CaPath } },
                            subjectAlternativeNames = san is null ? null : new { match = new { exact = new[] { san } } },
                        },
                    },
                },
            },
        });

        await using var host = await XdsTestHost.StartAsync();
        var bootstrapSpec = Client("localhost", withCertificate: true);
        var mesh = new MeshRows()
            .Put(MeshResourceKinds.VirtualNode, "", "web", bootstrapSpec)
            .Put(MeshResourceKinds.VirtualNode, "", "api-v1", server)
            .ServiceByNode("api.demo.local", "api-v1");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var backend = await RealClient.StartServerAsync(kind, host.GrpcUri, MeshRows.NodeId("api-v1"), $"0.0.0.0:{port}", "backend-7", Providers(server));
        if (kind == "node")
        {
            Assert.Equal("serving", await backend.NextLineAsync());
        }

        await using var client = kind == "python"
            ? await RealClient.StartPythonAsync(host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local", Providers(bootstrapSpec))
            : await RealClient.StartNodeAsync(host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local", Providers(bootstrapSpec));

        // A SAN the server carries, and the client's certificate: the calls go through, over mutual TLS.
        await Eventually.TrueAsync(async () => (await client.CallAsync(5)).GetValueOrDefault("backend-7") == 5);
        var status = await host.ClientStatusAsync();
        var serverListener = Assert.Single(Assert.Single(status.Config, c => c.Node.Id == MeshRows.NodeId("api-v1")).GenericXdsConfigs, g => g.TypeUrl.EndsWith("Listener", StringComparison.Ordinal));
        Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, serverListener.ClientStatus);
        var mutual = await AckedTlsClusterAsync(host, seen: []);

        // A name the server's certificate does not carry: once the client holds that cluster, every call fails.
        host.Producer.SetMesh(mesh.Key, mesh.Put(MeshResourceKinds.VirtualNode, "", "web", Client("wrong.demo.local", withCertificate: true)).Graph);
        var wrongName = await AckedTlsClusterAsync(host, seen: [mutual]);
        Assert.Equal(new Dictionary<string, int> { ["error:UNAVAILABLE"] = 3 }, await client.CallAsync(3));

        // The right name again but no client certificate: the STRICT listener, which asks for one, refuses the client.
        host.Producer.SetMesh(mesh.Key, mesh.Put(MeshResourceKinds.VirtualNode, "", "web", Client("localhost", withCertificate: false)).Graph);
        await AckedTlsClusterAsync(host, seen: [mutual, wrongName]);
        Assert.Equal(new Dictionary<string, int> { ["error:UNAVAILABLE"] = 3 }, await client.CallAsync(3));
    }

    /// <summary>
    /// The name of a proxyless TLS cluster the client holds, ACKed, that is none of <paramref name="seen"/>: each TLS
    /// context has a cluster name of its own, so this is the cluster of the latest change.
    /// </summary>
    private static async Task<string> AckedTlsClusterAsync(XdsTestHost host, string[] seen)
    {
        string? found = null;
        await Eventually.TrueAsync(async () =>
        {
            found = (await host.ClientStatusAsync()).Config
                .Where(c => c.Node.Id == MeshRows.NodeId("web"))
                .SelectMany(c => c.GenericXdsConfigs)
                .Where(g => g.Name.StartsWith("cds_proxyless-tls-", StringComparison.Ordinal) && !seen.Contains(g.Name) && g.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked)
                .Select(g => g.Name)
                .FirstOrDefault();
            return found is not null;
        });
        return found!;
    }

    private static IReadOnlyList<GrpcCertificateProvider> Providers(string spec) => GrpcCertificateProviders.For(SpecJson.Deserialize<VirtualNodeSpec>(spec));

    private static string Spec(object spec) => JsonSerializer.Serialize(spec, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });


}
