using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Mesh.Model.Graph;
using Mesh.Model.Identity;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// Proxyless gRPC clients reach a node over TLS as their client policy asks (gRFC A29): the policy's file trust, SANs
/// and certificate become certificate provider instances that Mesh's gRPC bootstrap defines for the same files.
/// </summary>
public sealed class ProxylessTlsTests
{
    private const string Server = """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/s.pem","privateKey":"/s.key"}}}}],"serviceDiscovery":{"dns":{"hostname":"127.0.0.1"}}}""";

    [Fact]
    public void A_Client_Policy_With_A_File_Trust_Gives_Its_Proxyless_Clusters_Tls_From_Certificate_Providers()
    {
        var graph = Graph("""{"backendDefaults":{"clientPolicy":{"tls":{"certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/c.key"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}},"backends":[{"virtualService":{"virtualServiceName":"greeter"}}]}""");

        var client = new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(client.OnDemandClusters);
        Assert.StartsWith("cds_proxyless-tls-", cluster.Name, StringComparison.Ordinal);
        Assert.EndsWith("_m_server_grpc_50051", cluster.Name, StringComparison.Ordinal);
        var tls = cluster.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal(GrpcCertificateProviders.IdentityName("/c.pem", "/c.key"), tls.CommonTlsContext.TlsCertificateProviderInstance.InstanceName);
        Assert.Equal(GrpcCertificateProviders.RootsName("/ca.pem"), tls.CommonTlsContext.ValidationContext.CaCertificateProviderInstance.InstanceName);
#pragma warning disable CS0612 // the SAN field gRPC reads
        // No SANs in the policy: the server must carry its DNS hostname, as Envoy clients check.
        Assert.Equal("127.0.0.1", Assert.Single(tls.CommonTlsContext.ValidationContext.MatchSubjectAltNames).Exact);
#pragma warning restore CS0612
        Assert.Contains(client.ClusterLoadAssignments, a => a.ClusterName == cluster.Name);
        var route = client.RouteConfigurations.Single(r => r.Name == EnvoyNames.ProxylessRoute("greeter", 50051));
        Assert.Equal(cluster.Name, Assert.Single(Assert.Single(route.VirtualHosts).Routes).Route_.Cluster);
        Assert.DoesNotContain(client.Warnings.Messages().Concat(client.ProxylessWarnings.Messages()), w => w.Contains("proxyless", StringComparison.Ordinal));
        Assert.Empty(ResourceConsistency.Check(client));
    }

    [Fact]
    public void Policies_Of_Two_Backends_Reaching_One_Node_Give_Two_Clusters_And_Both_Services_Stay_Reachable()
    {
        var graph = Graph(
            """{"backends":[{"virtualService":{"virtualServiceName":"greeter","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}},"subjectAlternativeNames":{"match":{"exact":["greeter.local"]}}}}}}},"""
            + """{"virtualService":{"virtualServiceName":"other","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/other-ca.pem"}}}}}}}]}""");

        var client = new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(2, client.OnDemandClusters.Count(c => c.Name.StartsWith("cds_proxyless-tls-", StringComparison.Ordinal)));
        Assert.Equal(["greeter", "greeter:50051", "other", "other:50051"], client.OnDemandListeners.Select(l => l.Name));
        var roots = client.OnDemandClusters.Select(c => c.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>().CommonTlsContext.ValidationContext.CaCertificateProviderInstance.InstanceName);
        Assert.Equal(new[] { "/ca.pem", "/other-ca.pem" }.Select(GrpcCertificateProviders.RootsName).Order(), roots.Order());
    }

    [Theory]
    [InlineData("""{"validation":{"trust":{"sds":{"secretName":"spiffe://td/ca"}}}}""", "SDS trust")]
    [InlineData("""{"validation":{"trust":{"acm":{"certificateAuthorityArns":["arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"]}}}}""", "ACM trust")]
    [InlineData("""{"certificate":{"sds":{"secretName":"spiffe://td/client"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}""", "SDS certificate")]
    public void A_Client_Policy_gRPC_Cannot_Take_Leaves_The_Listener_Unreachable_And_Says_So(string policy, string what)
    {
        var graph = Graph("""{"backendDefaults":{"clientPolicy":{"tls":""" + policy + "}},\"backends\":[{\"virtualService\":{\"virtualServiceName\":\"greeter\"}}]}");

        var client = new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client"));

        // Not a plaintext cluster instead: the policy asks for TLS.
        Assert.DoesNotContain(client.OnDemandClusters, c => c.Name.Contains("_server_", StringComparison.Ordinal));
        Assert.Contains(client.ProxylessWarnings.Messages(), w => w.Contains("virtualNode/server listener 50051: the client policy's " + what + " cannot be given to proxyless gRPC clients", StringComparison.Ordinal));
        // The node's Envoy takes the policy as it is (SDS, or ACM waiting for SDS): its own warnings say nothing of gRPC.
        Assert.DoesNotContain(client.Warnings.Messages(), w => w.Contains("proxyless", StringComparison.Ordinal));
    }

    [Fact]
    public void A_Policy_Not_Enforced_Or_For_Other_Ports_Leaves_The_Cluster_Plaintext()
    {
        foreach (var extra in new[] { "\"enforce\":false,", "\"ports\":[443]," })
        {
            var graph = Graph("{\"backendDefaults\":{\"clientPolicy\":{\"tls\":{" + extra + "\"validation\":{\"trust\":{\"file\":{\"certificateChain\":\"/ca.pem\"}}}}}},\"backends\":[{\"virtualService\":{\"virtualServiceName\":\"greeter\"}}]}");

            var client = new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client"));

            var cluster = Assert.Single(client.OnDemandClusters);
            Assert.Equal(EnvoyNames.ProxylessCluster("m", "server", Mesh.Model.Specs.PortProtocol.Grpc, 50051), cluster.Name);
            Assert.Null(cluster.TransportSocket);
        }
    }

    [Fact]
    public void Over_Random_Meshes_Every_Certificate_Provider_Instance_Sent_Is_One_The_Nodes_Grpc_Bootstrap_Defines()
    {
        // The bootstrap defines instances from the node's spec alone (GrpcCertificateProviders.For), the translation
        // names them in clusters and server listeners: an instance named but not defined is a NACK of the whole update.
        var (clientIdentities, clientRoots, serverIdentities, serverRoots) = (0, 0, 0, 0);
        for (var seed = 0; seed < 150; seed++)
        {
            var meshes = new RandomMeshes(seed);
            for (var step = 0; step < 3; step++)
            {
                var graph = meshes.Graph();
                var translator = new MeshTranslator();
                foreach (var node in RandomMeshes.NodeNames.Select(graph.FindVirtualNode).OfType<MeshResource<Mesh.Model.Specs.VirtualNodeSpec>>())
                {
                    var defined = GrpcCertificateProviders.For(node.Spec).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                    var resources = translator.TranslateProxy(graph, ProxyTarget.VirtualNode(node.Name));
                    var clients = resources.OnDemandClusters.Select(c => c.TransportSocket).OfType<Envoy.Config.Core.V3.TransportSocket>()
                        .Select(s => s.TypedConfig.Unpack<UpstreamTlsContext>().CommonTlsContext).ToList();
                    var servers = resources.OnDemandListeners.SelectMany(l => l.FilterChains).Select(f => f.TransportSocket).OfType<Envoy.Config.Core.V3.TransportSocket>()
                        .Select(s => s.TypedConfig.Unpack<DownstreamTlsContext>().CommonTlsContext).ToList();
                    foreach (var common in clients.Concat(servers))
                    {
                        foreach (var instance in new[] { common.TlsCertificateProviderInstance?.InstanceName, common.ValidationContext?.CaCertificateProviderInstance?.InstanceName }.OfType<string>())
                        {
                            Assert.True(defined.Contains(instance), $"seed {seed}, step {step}: node {node.Name} is sent instance {instance}, which its bootstrap does not define");
                        }
                    }

                    clientIdentities += clients.Count(c => c.TlsCertificateProviderInstance is not null);
                    clientRoots += clients.Count(c => c.ValidationContext?.CaCertificateProviderInstance is not null);
                    serverIdentities += servers.Count(c => c.TlsCertificateProviderInstance is not null);
                    serverRoots += servers.Count(c => c.ValidationContext?.CaCertificateProviderInstance is not null);
                }

                meshes.Mutate();
            }
        }

        // Each kind must be common, or the property says little.
        Assert.True(clientIdentities > 50 && clientRoots > 100 && serverIdentities > 50 && serverRoots > 20,
            $"instances named: client identities {clientIdentities}, client roots {clientRoots}, server identities {serverIdentities}, server roots {serverRoots}");
    }

    private static MeshGraph Graph(string client) => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", 1, client),
        new("virtualNode", null, "server", 1, Server),
        new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        new("virtualService", null, "other", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
    ]);
}
