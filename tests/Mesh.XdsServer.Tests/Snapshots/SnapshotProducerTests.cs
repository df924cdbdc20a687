using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mesh.Model.Graph;
using Mesh.Testing;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>The producer (translate, check, build) feeding the passive cache (identity → snapshot, watchers).</summary>
public sealed class SnapshotProducerTests
{
    private static readonly ProxyIdentity Web = new(new MeshKey(MeshRows.Account, "demo"), ProxyKind.VirtualNode, "web");
    private static readonly ProxyIdentity Web2 = Web with { Name = "web2" };

    private readonly XdsMetrics _metrics = new();
    private readonly SnapshotCache _cache = new();

    [Fact]
    public void Every_Watcher_Of_One_Identity_Shares_One_Snapshot()
    {
        var producer = NewProducer(new MeshTranslator());
        producer.SetMesh(MeshRows.Demo().Key, MeshRows.Demo().Graph);
        Snapshot? a = null, b = null;

        using var first = _cache.Watch(Web, s => a = s);
        using var second = _cache.Watch(Web, s => b = s);

        Assert.NotNull(a);
        Assert.Same(a, b);
        Assert.Equal(1, _cache.WatchedIdentities);
    }

    [Fact]
    public void A_Resource_Two_Identities_Share_Is_Held_Once()
    {
        var producer = NewProducer(new MeshTranslator());
        var mesh = MeshRows.Demo().Node("web2", "10.0.0.2", 8080, "http", "api.demo.local");
        producer.SetMesh(mesh.Key, mesh.Graph);
        Snapshot? a = null, b = null;

        using var first = _cache.Watch(Web, s => a = s);
        using var second = _cache.Watch(Web2, s => b = s);

        var shared = a![TypeUrls.Cluster].ByName.Keys.Intersect(b![TypeUrls.Cluster].ByName.Keys).ToList();
        Assert.Contains("cds_egress_demo_api-v1_http_9080", shared);
        Assert.All(shared, name => Assert.Same(a[TypeUrls.Cluster].ByName[name], b[TypeUrls.Cluster].ByName[name]));
    }

    [Fact]
    public void An_Inconsistent_Translation_Keeps_The_Last_Good_Snapshot_And_Says_Why()
    {
        var translator = new SwitchableTranslator();
        var producer = NewProducer(translator);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = _cache.Watch(Web, seen.Add);
        var good = Assert.Single(seen);

        translator.Broken = true;
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);

        Assert.Single(seen);
        Assert.Same(good, _cache.Current(Web));
        Assert.Equal("The snapshot is inconsistent: listener broken: route config rds_does_not_exist is missing", _cache.Problem(Web));
        Assert.Equal(1, _metrics.Get("mesh_xds_snapshots_rejected_total"));

        translator.Broken = false;
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8082, "http", "api.demo.local").Graph);
        Assert.Equal(2, seen.Count);
        Assert.Null(_cache.Problem(Web));
    }

    [Fact]
    public void A_Change_To_Another_Node_That_Does_Not_Alter_This_Config_Pushes_Nothing()
    {
        var producer = NewProducer(new MeshTranslator());
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = _cache.Watch(Web, seen.Add);

        producer.SetMesh(mesh.Key, mesh.Node("billing", "127.0.0.33", 7000, "grpc").Graph);

        Assert.Single(seen);
    }

    [Fact]
    public void A_Change_To_One_Mesh_Rebuilds_No_Identity_Of_Another()
    {
        var translator = new CountingTranslator();
        var producer = NewProducer(translator);
        var demo = MeshRows.Demo();
        var other = MeshRows.Demo("other");
        producer.SetMesh(demo.Key, demo.Graph);
        producer.SetMesh(other.Key, other.Graph);
        using var web = _cache.Watch(Web, _ => { });
        using var otherWeb = _cache.Watch(Web with { Mesh = other.Key }, _ => { });
        Assert.Equal(2, translator.Calls);

        // A change web's configuration reads (its service's route), so that web is rebuilt and the other mesh's is not.
        producer.SetMesh(demo.Key, demo.HttpRoute("api-router", "default", "/v2", ("api-v1", 100)).Graph);

        Assert.Equal(3, translator.Calls);
    }

    [Fact]
    public void A_Proxy_Without_Its_Node_Waits_With_A_Reason()
    {
        var producer = NewProducer(new MeshTranslator());
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        var newbie = Web with { Name = "newbie" };

        using var watch = _cache.Watch(newbie, seen.Add);

        Assert.Empty(seen);
        Assert.Equal("waiting for mesh/demo/virtualNode/newbie (account 111122223333) to be created", _cache.Problem(newbie));
        producer.SetMesh(mesh.Key, mesh.Node("newbie", "127.0.0.5", 8000).Graph);
        Assert.Single(seen);
    }

    /// <summary>
    /// The sequence that gave two replicas different versions for one proxy with equal graphs (docs/benchmarks.md,
    /// issue14y): a node changed and then deleted. A replica that loaded the change before the delete kept the
    /// changed snapshot, one whose load coalesced the change with the delete kept the snapshot from before the
    /// change, and a replica started afterwards had none. What an identity is served must depend on the graph only.
    /// </summary>
    [Fact]
    public void A_Deleted_Node_Is_Served_The_Same_Whichever_Graphs_Were_Loaded_Before()
    {
        var solo = Web with { Name = "solo" };
        var mesh = MeshRows.Demo().Node("solo", "10.0.0.7", 8080);
        var created = mesh.Graph;
        var changed = mesh.Node("solo", "10.0.0.7", 8081).Graph;
        var deleted = mesh.Delete(MeshResourceKinds.VirtualNode, "", "solo").Graph;
        var again = mesh.Node("solo", "10.0.0.7", 8080).Graph;
        var replicas = new[]
        {
            ("saw every graph", new[] { created, changed, deleted }),
            ("coalesced the change with the delete", new[] { created, deleted }),
            ("started after the delete", new[] { deleted }),
        }.Select(r => new Replica(r.Item1, r.Item2)).ToList();
        var watches = replicas.Select(r => r.Cache.Watch(solo, _ => { })).ToList();
        try
        {
            replicas.ForEach(r => r.Load(mesh.Key));

            // The node is gone: no replica has a snapshot for it, and each says why.
            Assert.All(replicas, r => Assert.True(r.Cache.Current(solo) is null, $"{r.Name}: {r.Cache.Current(solo)?.Version}"));
            Assert.All(replicas, r => Assert.Equal("waiting for mesh/demo/virtualNode/solo (account 111122223333) to be created", r.Cache.Problem(solo)));
            Assert.All(replicas, r => Assert.Equal(1, r.Cache.WaitingIdentities));

            // Created again as it first was: every replica serves the first snapshot's version again.
            var first = new Replica("only the first graph", [created]);
            using var firstWatch = first.Cache.Watch(solo, _ => { });
            first.Load(mesh.Key);
            replicas.ForEach(r => r.Producer.SetMesh(mesh.Key, again));
            Assert.All(replicas, r => Assert.Equal(first.Cache.Current(solo)!.Version, r.Cache.Current(solo)?.Version));
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    /// <summary>A server of its own (producer and cache) that loads a given sequence of graphs.</summary>
    private sealed class Replica(string name, MeshGraph[] graphs)
    {
        public string Name { get; } = name;

        public SnapshotCache Cache { get; } = new();

        public SnapshotProducer Producer { get; private set; } = null!;

        public void Load(MeshKey key)
        {
            Producer = new SnapshotProducer(Cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
            foreach (var graph in graphs)
            {
                Producer.SetMesh(key, graph);
            }
        }
    }

    [Fact]
    public void The_Last_Watcher_Leaving_Frees_The_Identity()
    {
        var producer = NewProducer(new MeshTranslator());
        producer.SetMesh(MeshRows.Demo().Key, MeshRows.Demo().Graph);

        _cache.Watch(Web, _ => { }).Dispose();

        Assert.Equal(0, _cache.WatchedIdentities);
    }

    [Fact]
    public void A_Translator_That_Throws_Leaves_The_Last_Good_Snapshot_Serving()
    {
        var translator = new SwitchableTranslator();
        var producer = NewProducer(translator);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);
        var seen = new List<Snapshot>();
        using var watch = _cache.Watch(Web, seen.Add);

        translator.Throws = true;
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);

        Assert.Single(seen);
        Assert.Equal("translation failed: InvalidOperationException: translator bug", _cache.Problem(Web));
    }

    /// <summary>
    /// What the identities of a routing share is built once per graph (<c>BuiltOnce</c>), and a build that throws
    /// is thrown to every identity that needs it for as long as the graph lives. Each of them is rejected, counted
    /// and shows why in proxy status; the failure is logged once per graph, with its exception, not once per identity.
    /// </summary>
    [Fact]
    public void A_Shared_Part_That_Fails_To_Build_Is_Logged_Once_Per_Graph_And_Rejects_Every_Identity_That_Needs_It()
    {
        var translator = new FailingSharedPartTranslator();
        var logger = new CapturingLogger<SnapshotProducer>();
        var producer = new SnapshotProducer(_cache, translator, _metrics, logger);
        var mesh = MeshRows.Demo().Node("web2", "10.0.0.2", 8080, "http", "api.demo.local").Node("web3", "10.0.0.3", 8080, "http", "api.demo.local");
        var web3 = Web with { Name = "web3" };
        producer.SetMesh(mesh.Key, mesh.Graph);
        using var webWatch = _cache.Watch(Web, _ => { });
        using var web2Watch = _cache.Watch(Web2, _ => { });

        AssertRejected([Web, Web2], builds: 1, errors: 1);

        // A change every node reads (their backend's route): a new graph builds the part again, and fails again.
        producer.SetMesh(mesh.Key, mesh.HttpRoute("api-router", "default", "/v2", ("api-v1", 100)).Graph);
        AssertRejected([Web, Web2], builds: 2, errors: 2);

        // An identity that connects later, on the same graph: rejected and counted, the failure not logged again.
        using var web3Watch = _cache.Watch(web3, _ => { });
        AssertRejected([Web, Web2, web3], builds: 2, errors: 2);
        Assert.Equal(5, _metrics.Get("mesh_xds_snapshots_rejected_total"));
        Assert.Equal(3, logger.Entries.Count(e => e.Level == LogLevel.Debug && e.Message.Contains("rejected by a translation failure logged before", StringComparison.Ordinal)));

        void AssertRejected(ProxyIdentity[] identities, int builds, int errors)
        {
            Assert.Equal(builds, translator.Builds);
            Assert.All(identities, i => Assert.Equal("translation failed: InvalidOperationException: shared part bug", _cache.Problem(i)));
            var logged = logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
            Assert.Equal(errors, logged.Count);
            Assert.All(logged, e => Assert.Equal("shared part bug", Assert.IsType<InvalidOperationException>(e.Exception).Message));
        }
    }

    [Fact]
    public void A_New_Translation_Warning_Is_Logged_Once_With_Its_Kind()
    {
        var logger = new CapturingLogger<SnapshotProducer>();
        var producer = new SnapshotProducer(_cache, new MeshTranslator(), _metrics, logger);
        var mesh = MeshRows.Demo().Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "ghost.demo.local");
        producer.SetMesh(mesh.Key, mesh.Graph);

        using var watch = _cache.Watch(Web, _ => { });
        producer.SetMesh(mesh.Key, mesh.Node("api-v2", "127.0.0.9", 9080).Graph);

        var logged = Assert.Single(logger.Entries, e => e.Event.Id == 102);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(
            "Configuration for 111122223333:mesh/demo/virtualNode/web leaves something out (missing_resource): virtualNode/web backend virtualService/ghost.demo.local: virtualService/ghost.demo.local does not exist or has no provider in the mesh",
            logged.Message);
    }

    [Fact]
    public void An_Update_From_An_Older_Graph_Never_Replaces_One_From_A_Newer_Graph()
    {
        var seen = new List<Snapshot>();
        using var watch = _cache.Watch(Web, seen.Add);
        var older = SnapshotBuilder.Build(new MeshTranslator().TranslateProxy(MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web")));
        var newer = SnapshotBuilder.Build(new MeshTranslator().TranslateProxy(
            MeshRows.Demo().Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph, ProxyTarget.VirtualNode("web")));

        Assert.True(_cache.Set(Web, new SnapshotUpdate(2, newer, null, [])).SnapshotChanged);
        Assert.False(_cache.Set(Web, new SnapshotUpdate(1, older, null, [])).Applied);

        Assert.Same(newer, Assert.Single(seen));
    }

    private SnapshotProducer NewProducer(IProxyTranslator translator) => new(_cache, translator, _metrics, NullLogger<SnapshotProducer>.Instance);

    private sealed class CountingTranslator : IProxyTranslator
    {
        private int _calls;

        public int Calls => _calls;

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
        {
            Interlocked.Increment(ref _calls);
            return new MeshTranslator().TranslateProxy(graph, target);
        }
    }

    /// <summary>Every node needs one part built once per graph, as a routing's are (<c>BuiltOnce</c>), and its build throws.</summary>
    private sealed class FailingSharedPartTranslator : IProxyTranslator
    {
        private readonly ConditionalWeakTable<MeshGraph, ConcurrentDictionary<string, Lazy<ProxyResources>>> _parts = new();
        private int _builds;

        public int Builds => _builds;

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target) =>
            _parts.GetValue(graph, _ => new()).GetOrBuild("routing", Build, this);

        private static ProxyResources Build(FailingSharedPartTranslator translator)
        {
            Interlocked.Increment(ref translator._builds);
            throw new InvalidOperationException("shared part bug");
        }
    }

    /// <summary>The real translator, or the same output with a listener that names a route configuration that is not there.</summary>
    private sealed class SwitchableTranslator : IProxyTranslator
    {
        private readonly MeshTranslator _inner = new();

        public bool Broken { get; set; }

        public bool Throws { get; set; }

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
        {
            if (Throws)
            {
                throw new InvalidOperationException("translator bug");
            }

            var resources = _inner.TranslateProxy(graph, target);
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
