using Mesh.Model.Graph;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator.MeshChanged"/> gives a changed mesh's new graph the proxyless translations of the old
/// graph that the change cannot affect, so a route change does not translate (and the server does not serialise) every
/// backend's proxyless names again. Whatever it carries, every node must get exactly what a translator that never
/// saw the old graph gives, and what the change touched must be translated again.
/// </summary>
public sealed class ProxylessCarryOverTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Node_Gets_What_A_Fresh_Translator_Gives()
    {
        var carried = 0;
        var translated = 0;
        CarryOverRuns.Run(300, step =>
        {
            // A proxyless listener object the node had before the change was carried, not translated again.
            var (c, t) = CarryOverRuns.Count(step.Actual.OnDemandListeners, step.Before?.OnDemandListeners);
            carried += c;
            translated += t;
        });

        // Both must be common, or the property says little.
        Assert.True(carried > 2000, $"only {carried} proxyless listeners carried ({translated} translated)");
        Assert.True(translated > 2000, $"only {translated} proxyless listeners translated ({carried} carried)");
    }

    [Fact]
    public void A_Route_Change_Translates_The_Changed_Services_Names_Again_And_Carries_The_Others()
    {
        var translator = new MeshTranslator();
        var old = Graph(retries: 2);
        var @new = Graph(retries: 5);
        var first = translator.TranslateProxy(old, ProxyTarget.VirtualNode("client"));

        translator.MeshChanged(old, @new, MeshGraphDiff.Between(old, @new));
        var second = translator.TranslateProxy(@new, ProxyTarget.VirtualNode("client"));

        Assert.Equal(["a.local", "a.local:80", "b.local", "b.local:80"], second.OnDemandListeners.Select(l => l.Name));
        Assert.All(second.OnDemandListeners.Where(l => l.Name.StartsWith("b.", StringComparison.Ordinal)), l => Assert.Contains(l, first.OnDemandListeners));
        Assert.All(second.OnDemandListeners.Where(l => l.Name.StartsWith("a.", StringComparison.Ordinal)), l => Assert.DoesNotContain(l, first.OnDemandListeners, ReferenceEqualityComparer.Instance));
        ProxyResourcesAssert.Equal(new MeshTranslator().TranslateProxy(@new, ProxyTarget.VirtualNode("client")), second, "after the route change");
    }

    private static MeshGraph Graph(int retries) => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"a.local"}},{"virtualService":{"virtualServiceName":"b.local"}}]}"""),
        new("virtualNode", null, "server-a", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"a.internal"}}}"""),
        new("virtualNode", null, "server-b", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"b.internal"}}}"""),
        new("virtualRouter", null, "router-a", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("virtualRouter", null, "router-b", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("route", "router-a", "route", retries, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server-a","weight":1}]},"retryPolicy":{"maxRetries":RETRIES,"perRetryTimeout":{"unit":"ms","value":1000},"httpRetryEvents":["server-error"]}}}""".Replace("RETRIES", retries.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)),
        new("route", "router-b", "route", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server-b","weight":1}]},"retryPolicy":{"maxRetries":2,"perRetryTimeout":{"unit":"ms","value":1000},"httpRetryEvents":["server-error"]}}}"""),
        new("virtualService", null, "a.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router-a"}}}"""),
        new("virtualService", null, "b.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router-b"}}}"""),
    ]);
}
