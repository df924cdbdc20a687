using Mesh.Model.Graph;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="ProxyDependencies"/> decides which proxies the xDS server translates again after a change; one it
/// wrongly calls unaffected keeps a stale configuration. These tests hold it to the translator itself.
/// </summary>
public sealed class ProxyDependenciesTests
{
    private static readonly MeshTranslator Translator = new();

    private static readonly ProxyTarget[] Targets =
    [
        .. RandomMeshes.NodeNames.Select(ProxyTarget.VirtualNode),
        .. RandomMeshes.GatewayNames.Select(ProxyTarget.VirtualGateway),
    ];

    [Fact]
    public void After_Random_Changes_Every_Target_Called_Unaffected_Translates_Exactly_As_Before()
    {
        var unaffected = 0;
        var affected = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var meshes = new RandomMeshes(seed);
            var old = meshes.Graph();
            var before = Targets.ToDictionary(t => t, t => Translator.TranslateProxy(old, t));
            for (var step = 0; step < 6; step++)
            {
                var change = meshes.Mutate();
                var @new = meshes.Graph();
                var diff = MeshGraphDiff.Between(old, @new);
                foreach (var target in Targets)
                {
                    var after = Translator.TranslateProxy(@new, target);
                    if (ProxyDependencies.Affected(diff, old, @new, target))
                    {
                        affected++;
                    }
                    else
                    {
                        unaffected++;
                        ProxyResourcesAssert.Equal(before[target], after, $"seed {seed}, step {step} ({change}): {target.Kind} {target.Name} was called unaffected");
                    }

                    before[target] = after;
                }

                old = @new;
            }
        }

        // Both sides must be well represented, or the property says little.
        Assert.True(unaffected > 3000, $"only {unaffected} unaffected cases");
        Assert.True(affected > 3000, $"only {affected} affected cases");
    }

    [Fact]
    public void A_Backend_Named_Before_Its_Service_Exists_Depends_On_That_Name()
    {
        var old = MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"later.local"}}]}"""),
            new("virtualNode", null, "other", 1, "{}"),
        ]);
        var @new = MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"later.local"}}]}"""),
            new("virtualNode", null, "other", 1, "{}"),
            new("virtualService", null, "later.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        ]);
        var diff = MeshGraphDiff.Between(old, @new);

        Assert.True(ProxyDependencies.Affected(diff, old, @new, ProxyTarget.VirtualNode("client")));
        Assert.False(ProxyDependencies.Affected(diff, old, @new, ProxyTarget.VirtualNode("other")));
        Assert.Contains(GraphResourceKey.VirtualNode("server"), ProxyDependencies.Of(@new, ProxyTarget.VirtualNode("client")));
    }

    [Fact]
    public void A_Gateway_Reads_Its_Routes_Targets_And_What_Is_Behind_Them()
    {
        var graph = MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("gatewayRoute", "gw", "gr", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc.local"}}}}}"""),
            new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
            new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
            new("route", "router", "r1", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""),
            new("virtualNode", null, "b", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns","serviceName":"b"}}}"""),
        ]);

        var keys = ProxyDependencies.Of(graph, ProxyTarget.VirtualGateway("gw"));

        Assert.Equal(
            new HashSet<GraphResourceKey>
            {
                GraphResourceKey.VirtualGateway("gw"),
                GraphResourceKey.VirtualService("svc.local"),
                GraphResourceKey.VirtualRouter("router"),
                GraphResourceKey.VirtualNode("b"),
                GraphResourceKey.CloudMapService("ns", "b"),
            },
            keys.ToHashSet());
    }
}
