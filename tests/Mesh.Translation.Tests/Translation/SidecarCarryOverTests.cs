using Mesh.Model.Graph;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator.MeshChanged"/> gives a changed mesh's new graph the sidecars' own resources (ingress
/// listener, its routes and local clusters, egress listener) of the nodes the change did not touch, and
/// <see cref="MeshTranslator.TranslateProxy"/> uses them while the egress routing gives the egress listener the same
/// inputs, so a route change translates (and the server serialises) none of them again. Whatever it carries, every
/// node must get exactly what a translator that never saw the old graph gives, and exactly what merging its proxyless
/// names one by one onto its golden translation gives.
/// </summary>
public sealed class SidecarCarryOverTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Node_Gets_What_A_Fresh_Translator_Gives()
    {
        var carried = 0;
        var translated = 0;
        CarryOverRuns.Run(400, step =>
        {
            var reference = new MeshTranslator();
            var (graph, name) = (step.Graph, step.Node);
            ProxyResourcesAssert.Equal(
                ProxylessOnDemand.AddTo(reference.Translate(graph, ProxyTarget.VirtualNode(name)), graph, name, n => reference.TranslateProxyless(graph, n.Name, n.Backend.Policy)),
                step.Actual,
                step.Why + ", against the name-by-name merge");

            // A listener object the node had before the change was carried, not translated again.
            var (c, t) = CarryOverRuns.Count(step.Actual.Listeners, step.Before?.Listeners);
            carried += c;
            translated += t;
        });

        // Both must be common, or the property says little.
        Assert.True(carried > 1500, $"only {carried} sidecar listeners carried ({translated} translated)");
        Assert.True(translated > 1500, $"only {translated} sidecar listeners translated ({carried} carried)");
    }

    [Fact]
    public void A_Route_Change_Carries_The_Clients_Own_Resources()
    {
        var translator = new MeshTranslator();
        var old = Graph(retries: 2, routerPort: 80, clientPort: 8080);
        var @new = Graph(retries: 5, routerPort: 80, clientPort: 8080);
        var first = translator.TranslateProxy(old, ProxyTarget.VirtualNode("client"));

        translator.MeshChanged(old, @new, MeshGraphDiff.Between(old, @new));
        var second = translator.TranslateProxy(@new, ProxyTarget.VirtualNode("client"));

        Assert.Equal([EnvoyNames.EgressListener, EnvoyNames.IngressListener], second.Listeners.Select(l => l.Name));
        Assert.All(second.Listeners, l => Assert.Contains(l, first.Listeners, ReferenceEqualityComparer.Instance));
        // The ingress route configuration and the local cluster are carried with them; the routing's are new.
        var ownRoute = Assert.Single(second.RouteConfigurations, r => r.Name.Contains("ingress", StringComparison.Ordinal));
        Assert.Contains(ownRoute, first.RouteConfigurations, ReferenceEqualityComparer.Instance);
        var localCluster = Assert.Single(second.Clusters, c => c.Name.StartsWith("cds_ingress", StringComparison.Ordinal));
        Assert.Contains(localCluster, first.Clusters, ReferenceEqualityComparer.Instance);
        Assert.DoesNotContain(second.RouteConfigurations.Single(r => r.Name.Contains("egress", StringComparison.Ordinal)), first.RouteConfigurations, ReferenceEqualityComparer.Instance);
        ProxyResourcesAssert.Equal(new MeshTranslator().TranslateProxy(@new, ProxyTarget.VirtualNode("client")), second, "after the route change");
    }

    [Fact]
    public void A_Backend_Port_Change_Translates_The_Egress_Listener_Again()
    {
        var translator = new MeshTranslator();
        var old = Graph(retries: 2, routerPort: 80, clientPort: 8080);
        var @new = Graph(retries: 2, routerPort: 81, clientPort: 8080);
        var first = translator.TranslateProxy(old, ProxyTarget.VirtualNode("client"));

        // The client node's row did not change, but the egress listener's chains follow the router's port.
        var diff = MeshGraphDiff.Between(old, @new);
        Assert.False(diff.Touches(GraphResourceKey.VirtualNode("client")));
        translator.MeshChanged(old, @new, diff);
        var second = translator.TranslateProxy(@new, ProxyTarget.VirtualNode("client"));

        var egress = second.Listeners.Single(l => l.Name.Contains("egress", StringComparison.Ordinal));
        Assert.DoesNotContain(egress, first.Listeners, ReferenceEqualityComparer.Instance);
        Assert.Contains(egress.FilterChains, c => c.FilterChainMatch.DestinationPort == 81);
        ProxyResourcesAssert.Equal(new MeshTranslator().TranslateProxy(@new, ProxyTarget.VirtualNode("client")), second, "after the port change");
    }

    [Fact]
    public void A_Change_To_The_Node_Translates_Its_Own_Resources_Again()
    {
        var translator = new MeshTranslator();
        var old = Graph(retries: 2, routerPort: 80, clientPort: 8080);
        var @new = Graph(retries: 2, routerPort: 80, clientPort: 9090);
        var first = translator.TranslateProxy(old, ProxyTarget.VirtualNode("client"));

        translator.MeshChanged(old, @new, MeshGraphDiff.Between(old, @new));
        var second = translator.TranslateProxy(@new, ProxyTarget.VirtualNode("client"));

        Assert.All(second.Listeners, l => Assert.DoesNotContain(l, first.Listeners, ReferenceEqualityComparer.Instance));
        Assert.Contains(second.Clusters, c => c.Name.StartsWith("cds_ingress", StringComparison.Ordinal) && c.Name.EndsWith("9090", StringComparison.Ordinal));
        ProxyResourcesAssert.Equal(new MeshTranslator().TranslateProxy(@new, ProxyTarget.VirtualNode("client")), second, "after the node's change");
    }

    private static MeshGraph Graph(int retries, int routerPort, int clientPort) => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", clientPort, """{"listeners":[{"portMapping":{"port":PORT,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"a.local"}}]}""".Replace("PORT", Text(clientPort), StringComparison.Ordinal)),
        new("virtualNode", null, "server-a", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"a.internal"}}}"""),
        new("virtualRouter", null, "router-a", routerPort, """{"listeners":[{"portMapping":{"port":PORT,"protocol":"http"}}]}""".Replace("PORT", Text(routerPort), StringComparison.Ordinal)),
        new("route", "router-a", "route", retries, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server-a","weight":1}]},"retryPolicy":{"maxRetries":RETRIES,"perRetryTimeout":{"unit":"ms","value":1000},"httpRetryEvents":["server-error"]}}}""".Replace("RETRIES", Text(retries), StringComparison.Ordinal)),
        new("virtualService", null, "a.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router-a"}}}"""),
    ]);

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
