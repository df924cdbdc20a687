using Mesh.Model.Graph;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Mesh.XdsServer.Translation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

public sealed class SnapshotCacheTests
{
    private static readonly ProxyIdentity Web = new(new MeshKey(MeshRows.Account, "demo"), ProxyKind.VirtualNode, "web");
    private static readonly ProxyIdentity Web2 = Web with { Name = "web2" };

    private readonly XdsMetrics _metrics = new();

    [Fact]
    public void Every_Watcher_Of_One_Identity_Shares_One_Snapshot()
    {
        var cache = NewCache(new BasicMeshTranslator());
        cache.SetMesh(MeshRows.Demo().Key, MeshRows.Demo().Graph);
        Snapshot? a = null, b = null;

        using var first = cache.Watch(Web, s => a = s);
        using var second = cache.Watch(Web, s => b = s);

        Assert.NotNull(a);
        Assert.Same(a, b);
        Assert.Equal(1, cache.WatchedIdentities);
    }

    [Fact]
    public void A_Resource_Two_Identities_Share_Is_Held_Once()
    {
        var cache = NewCache(new BasicMeshTranslator());
        var mesh = MeshRows.Demo().Node("web2", "10.0.0.2", 8080, "http", "api.demo.local");
        cache.SetMesh(mesh.Key, mesh.Graph);
        Snapshot? a = null, b = null;

        using var first = cache.Watch(Web, s => a = s);
        using var second = cache.Watch(Web2, s => b = s);

        Assert.Same(
            a![TypeUrls.Endpoint].ByName["cds_egress_demo_api-v1_http_9080"],
            b![TypeUrls.Endpoint].ByName["cds_egress_demo_api-v1_http_9080"]);
    }

    [Fact]
    public void An_Inconsistent_Translation_Keeps_The_Last_Good_Snapshot()
    {
        var translator = new SwitchableTranslator();
        var cache = NewCache(translator);
        var mesh = MeshRows.Demo();
        cache.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = cache.Watch(Web, seen.Add);
        var good = Assert.Single(seen);

        translator.Broken = true;
        cache.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);

        Assert.Single(seen);
        Assert.Same(good, cache.Current(Web));
        Assert.Contains("route configuration rds_does_not_exist is not in RDS", cache.Problem(Web));
        Assert.Equal(1, _metrics.Get("mesh_xds_snapshots_rejected_total"));

        translator.Broken = false;
        cache.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8082, "http", "api.demo.local").Graph);
        Assert.Equal(2, seen.Count);
        Assert.Null(cache.Problem(Web));
    }

    [Fact]
    public void A_Change_To_Another_Node_That_Does_Not_Alter_This_Config_Pushes_Nothing()
    {
        var cache = NewCache(new BasicMeshTranslator());
        var mesh = MeshRows.Demo();
        cache.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = cache.Watch(Web, seen.Add);

        cache.SetMesh(mesh.Key, mesh.Node("billing", "127.0.0.33", 7000, "grpc").Graph);

        Assert.Single(seen);
    }

    [Fact]
    public void A_Proxy_Without_Its_Node_Waits_With_A_Reason()
    {
        var cache = NewCache(new BasicMeshTranslator());
        var mesh = MeshRows.Demo();
        cache.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        var newbie = Web with { Name = "newbie" };

        using var watch = cache.Watch(newbie, seen.Add);

        Assert.Empty(seen);
        Assert.Equal("waiting for mesh/demo/virtualNode/newbie (account 111122223333) to be created", cache.Problem(newbie));
        cache.SetMesh(mesh.Key, mesh.Node("newbie", "127.0.0.5", 8000).Graph);
        Assert.Single(seen);
    }

    [Fact]
    public void The_Last_Watcher_Leaving_Frees_The_Identity()
    {
        var cache = NewCache(new BasicMeshTranslator());
        cache.SetMesh(MeshRows.Demo().Key, MeshRows.Demo().Graph);

        cache.Watch(Web, _ => { }).Dispose();

        Assert.Equal(0, cache.WatchedIdentities);
    }

    [Fact]
    public void A_Translator_That_Throws_Leaves_The_Last_Good_Snapshot_Serving()
    {
        var translator = new SwitchableTranslator();
        var cache = NewCache(translator);
        var mesh = MeshRows.Demo();
        cache.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = cache.Watch(Web, seen.Add);

        translator.Throws = true;
        cache.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);

        Assert.Single(seen);
        Assert.Equal("translation failed: InvalidOperationException: translator bug", cache.Problem(Web));
    }

    private SnapshotCache NewCache(IMeshTranslator translator) => new(translator, _metrics, NullLogger<SnapshotCache>.Instance);

    /// <summary>The real translator, or the same output with a listener that names a route configuration that is not there.</summary>
    private sealed class SwitchableTranslator : IMeshTranslator
    {
        private readonly BasicMeshTranslator _inner = new();

        public bool Broken { get; set; }

        public bool Throws { get; set; }

        public ProxyResources Translate(MeshGraph mesh, ProxyIdentity proxy)
        {
            if (Throws)
            {
                throw new InvalidOperationException("translator bug");
            }

            var resources = _inner.Translate(mesh, proxy);
            if (!Broken)
            {
                return resources;
            }

            var api = new Envoy.Config.Listener.V3.Listener
            {
                Name = "broken",
                ApiListener = new Envoy.Config.Listener.V3.ApiListener
                {
                    ApiListener_ = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager
                    {
                        Rds = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.Rds { RouteConfigName = "rds_does_not_exist" },
                    }),
                },
            };
            return resources with { OnDemandListeners = [.. resources.OnDemandListeners, api] };
        }
    }
}
