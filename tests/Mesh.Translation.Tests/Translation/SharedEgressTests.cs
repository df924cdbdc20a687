using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator"/> builds a sidecar's egress routes and clusters once per graph and backend set and
/// shares them between client nodes; what each node gets must be what a fresh translator gives it, a node with
/// other backends or another client policy must not get someone else's, and a new graph is translated again.
/// </summary>
public sealed class SharedEgressTests
{
    private static MeshGraph Graph(int retries, string mesh = "{}") => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, mesh),
        new("virtualNode", null, "client-a", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"direct.local"}}],"logging":{"accessLog":{"file":{"path":"/dev/stdout"}}}}"""),
        new("virtualNode", null, "client-b", 1, """{"backends":[{"virtualService":{"virtualServiceName":"direct.local"}},{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("virtualNode", null, "client-tls", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"direct.local"}}],"backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}}"""),
        new("virtualNode", null, "client-broken", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"missing.local"}}]}"""),
        new("virtualNode", null, "client-broken-2", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"missing.local"}}]}"""),
        new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
        new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("route", "router", "r1", retries, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]},"retryPolicy":{"maxRetries":RETRIES,"perRetryTimeout":{"unit":"ms","value":100},"httpRetryEvents":["server-error"]}}}""".Replace("RETRIES", retries.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
        new("virtualService", null, "direct.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
    ]);

    private static readonly string[] Clients = ["client-a", "client-b", "client-tls", "client-broken", "client-broken-2"];

    [Fact]
    public void Nodes_With_The_Same_Backends_Share_Routes_And_Clusters_And_Get_What_A_Fresh_Translator_Gives()
    {
        var translator = new MeshTranslator();
        var graph = Graph(1);

        var a = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-a"));
        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-b"));

        var route = Assert.Single(a.RouteConfigurations, r => r.Name == "rds_egress_http_80");
        Assert.Same(route, b.RouteConfigurations.Single(r => r.Name == "rds_egress_http_80"));
        Assert.NotEmpty(b.Clusters);
        Assert.All(b.Clusters, c => Assert.Same(c, a.Clusters.Single(x => x.Name == c.Name)));
        // The listener carries each node's own access log, so it is not shared.
        Assert.NotEqual(a.Listeners.Single(l => l.Name == "lds_egress_0.0.0.0_15001"), b.Listeners.Single(l => l.Name == "lds_egress_0.0.0.0_15001"));
        foreach (var client in Clients)
        {
            AssertEqual(new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode(client)), translator.TranslateProxy(graph, ProxyTarget.VirtualNode(client)));
        }
    }

    [Fact]
    public void Another_Client_Policy_Gets_Its_Own_And_Warnings_Name_Their_Own_Node()
    {
        var translator = new MeshTranslator();
        var graph = Graph(1);

        var a = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-a"));
        var tls = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-tls"));
        var broken = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-broken"));
        var broken2 = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-broken-2"));

        Assert.NotEqual(
            a.Clusters.Single(c => c.Name.Contains("server", StringComparison.Ordinal)),
            tls.Clusters.Single(c => c.Name.Contains("server", StringComparison.Ordinal)));
        Assert.Contains(broken.Warnings.Messages(), w => w.Contains("virtualNode/client-broken ", StringComparison.Ordinal));
        Assert.Contains(broken2.Warnings.Messages(), w => w.Contains("virtualNode/client-broken-2 ", StringComparison.Ordinal));
        Assert.DoesNotContain(broken2.Warnings.Messages(), w => w.Contains("virtualNode/client-broken ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_New_Graph_Is_Translated_Again()
    {
        var translator = new MeshTranslator();
        foreach (var client in Clients)
        {
            translator.TranslateProxy(Graph(1), ProxyTarget.VirtualNode(client));
        }

        foreach (var (retries, mesh) in new[] { (2, "{}"), (2, """{"egressFilter":{"type":"ALLOW_ALL"}}""") })
        {
            var graph = Graph(retries, mesh);
            foreach (var client in Clients)
            {
                AssertEqual(new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode(client)), translator.TranslateProxy(graph, ProxyTarget.VirtualNode(client)));
            }
        }
    }

    private static void AssertEqual(ProxyResources expected, ProxyResources actual)
    {
        Assert.Equal(expected.Listeners, actual.Listeners);
        Assert.Equal(expected.OnDemandListeners, actual.OnDemandListeners);
        Assert.Equal(expected.RouteConfigurations, actual.RouteConfigurations);
        Assert.Equal(expected.Clusters, actual.Clusters);
        Assert.Equal(expected.OnDemandClusters, actual.OnDemandClusters);
        Assert.Equal(expected.ClusterLoadAssignments, actual.ClusterLoadAssignments);
        Assert.Equal(expected.Secrets, actual.Secrets);
        Assert.Equal(expected.Warnings.Messages(), actual.Warnings.Messages());
    }
}
