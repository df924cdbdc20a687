using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator.TranslateProxy"/> translates the proxyless names of a graph once and shares them
/// between identities; what each identity gets must be what a fresh translator gives it.
/// </summary>
public sealed class SharedProxylessTests
{
    private static MeshGraph Graph(int retries) => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client-a", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"direct.local"}}]}"""),
        new("virtualNode", null, "client-b", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
        new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"grpc"}}]}"""),
        new("route", "router", "r1", retries, """{"grpcRoute":{"match":{"serviceName":"greeter"},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]},"retryPolicy":{"maxRetries":RETRIES,"perRetryTimeout":{"unit":"ms","value":100},"grpcRetryEvents":["unavailable"]}}}""".Replace("RETRIES", retries.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
        new("virtualService", null, "direct.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
    ]);

    [Fact]
    public void Identities_Of_One_Graph_Share_The_Proxyless_Messages_And_Get_What_A_Fresh_Translator_Gives()
    {
        var translator = new MeshTranslator();
        var graph = Graph(1);

        var a = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-a"));
        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-b"));

        Assert.Contains(a.OnDemandListeners, l => l.Name == "svc.local");
        Assert.Same(a.OnDemandListeners.Single(l => l.Name == "svc.local"), b.OnDemandListeners.Single(l => l.Name == "svc.local"));
        AssertEqual(new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client-a")), a);
        AssertEqual(new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client-b")), b);
    }

    [Fact]
    public void A_New_Graph_Is_Translated_Again()
    {
        var translator = new MeshTranslator();
        var before = translator.TranslateProxy(Graph(1), ProxyTarget.VirtualNode("client-a"));

        var after = translator.TranslateProxy(Graph(2), ProxyTarget.VirtualNode("client-a"));

        AssertEqual(new MeshTranslator().TranslateProxy(Graph(2), ProxyTarget.VirtualNode("client-a")), after);
        Assert.NotEqual(
            before.RouteConfigurations.Single(r => r.Name.Contains("svc.local", StringComparison.Ordinal)),
            after.RouteConfigurations.Single(r => r.Name.Contains("svc.local", StringComparison.Ordinal)));
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
        Assert.Equal(expected.Warnings, actual.Warnings);
    }
}
