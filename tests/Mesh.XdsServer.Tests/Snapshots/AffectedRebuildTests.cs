using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.Translation.Tests.Support;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A change rebuilds only the watched identities whose configuration it can affect (<see cref="MeshGraphDiff"/>,
/// <see cref="ProxyDependencies"/>); every other keeps its snapshot. Skipping must never leave a proxy with
/// something other than what rebuilding everything would have given it.
/// </summary>
public sealed class AffectedRebuildTests
{
    private static readonly MeshKey Key = new(MeshRows.Account, RandomMeshes.MeshName);

    private static readonly ProxyIdentity[] Identities =
    [
        .. RandomMeshes.NodeNames.Select(n => new ProxyIdentity(Key, ProxyKind.VirtualNode, n)),
        .. RandomMeshes.GatewayNames.Select(g => new ProxyIdentity(Key, ProxyKind.VirtualGateway, g)),
    ];

    [Fact]
    public void After_Random_Changes_Rebuilding_The_Affected_Gives_What_Rebuilding_Everything_Gives()
    {
        long skipped = 0;
        for (var seed = 0; seed < 60; seed++)
        {
            var meshes = new RandomMeshes(seed);
            var incremental = new Server();
            var everything = new Server();
            incremental.Producer.SetMesh(Key, meshes.Graph());
            everything.Producer.SetMesh(Key, meshes.Graph());
            using var incrementalWatches = incremental.WatchAll();
            using var everythingWatches = everything.WatchAll();
            for (var step = 0; step < 6; step++)
            {
                var change = meshes.Mutate();
                var graph = meshes.Graph();
                incremental.Producer.SetMesh(Key, graph);

                // Through a graph that differs only in the mesh's version (which every identity reads and no
                // translation uses): every identity is rebuilt from the new graph, on the same history (so a
                // rejected configuration keeps the same last good snapshot on both sides). Not through no mesh at
                // all: that drops every snapshot (an identity without its resource has none).
                everything.Producer.SetMesh(Key, graph with { MeshVersion = graph.MeshVersion + 1 });
                everything.Producer.SetMesh(Key, graph);

                foreach (var identity in Identities)
                {
                    var why = $"seed {seed}, step {step} ({change}): {identity.ShortForm}";
                    Assert.True(everything.Cache.Current(identity)?.Version == incremental.Cache.Current(identity)?.Version, why + ": snapshot");
                    Assert.True(everything.Cache.Problem(identity) == incremental.Cache.Problem(identity), why + ": problem");
                    Assert.True(everything.Cache.Warnings(identity).SequenceEqual(incremental.Cache.Warnings(identity)), why + ": warnings");
                }
            }

            skipped += incremental.Metrics.Get("mesh_xds_identities_skipped_total");
            Assert.Equal(0, everything.Metrics.Get("mesh_xds_identities_skipped_total"));
        }

        Assert.True(skipped > 500, $"only {skipped} identities skipped: the comparison says little");
    }

    [Fact]
    public void A_Change_To_One_Services_Route_Rebuilds_Exactly_The_Identities_That_Call_It()
    {
        var mesh = new MeshRows("calls")
            .Node("a1", "10.0.0.1", 8080)
            .Node("b1", "10.0.0.2", 8080)
            .Router("ra", 8080)
            .HttpRoute("ra", "default", "/", ("a1", 1))
            .Router("rb", 8080)
            .HttpRoute("rb", "default", "/", ("b1", 1))
            .ServiceByRouter("a.local", "ra")
            .ServiceByRouter("b.local", "rb")
            .Node("c1", "10.0.1.1", 8080, "http", "a.local")
            .Node("c2", "10.0.1.2", 8080, "http", "a.local")
            .Node("c3", "10.0.1.3", 8080, "http", "a.local")
            .Node("d1", "10.0.2.1", 8080, "http", "b.local")
            .Node("d2", "10.0.2.2", 8080, "http", "b.local")
            .Node("e1", "10.0.3.1", 8080, "http", "a.local", "b.local")
            .Gateway("gw")
            .GatewayRoute("gw", "to-a", "/a", "a.local");
        var server = new Server();
        server.Producer.SetMesh(mesh.Key, mesh.Graph);
        var nodes = new[] { "a1", "b1", "c1", "c2", "c3", "d1", "d2", "e1" }.Select(n => new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, n));
        var all = nodes.Append(new ProxyIdentity(mesh.Key, ProxyKind.VirtualGateway, "gw")).ToList();
        var watches = all.Select(i => server.Cache.Watch(i, _ => { })).ToList();
        var before = all.ToDictionary(i => i, i => server.Cache.Current(i)!);

        server.Producer.SetMesh(mesh.Key, mesh.HttpRoute("ra", "v2", "/v2", ("a1", 1)).Graph);

        Assert.Equal(5, server.Metrics.Get("mesh_xds_identities_rebuilt_total"));
        Assert.Equal(4, server.Metrics.Get("mesh_xds_identities_skipped_total"));
        string[] callers = ["c1", "c2", "c3", "e1", "gw"];
        foreach (var identity in all)
        {
            if (callers.Contains(identity.Name))
            {
                Assert.NotEqual(before[identity].Version, server.Cache.Current(identity)!.Version);
            }
            else
            {
                // Not rebuilt at all: the very same snapshot object keeps serving.
                Assert.Same(before[identity], server.Cache.Current(identity));
            }
        }

        watches.ForEach(w => w.Dispose());
    }

    [Fact]
    public void A_Change_To_The_Mesh_Itself_Rebuilds_Every_Identity()
    {
        var mesh = MeshRows.Demo();
        var server = new Server();
        server.Producer.SetMesh(mesh.Key, mesh.Graph);
        var watches = new[] { "web", "api-v1", "billing" }.Select(n => server.Cache.Watch(new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, n), _ => { })).ToList();

        server.Producer.SetMesh(mesh.Key, mesh.Put(MeshResourceKinds.Mesh, "", mesh.MeshName, """{"egressFilter":{"type":"ALLOW_ALL"}}""").Graph);

        Assert.Equal(3, server.Metrics.Get("mesh_xds_identities_rebuilt_total"));
        Assert.Equal(0, server.Metrics.Get("mesh_xds_identities_skipped_total"));
        watches.ForEach(w => w.Dispose());
    }

    private sealed class Server
    {
        public Server()
        {
            Producer = new SnapshotProducer(Cache, new MeshTranslator(), Metrics, NullLogger<SnapshotProducer>.Instance);
        }

        public SnapshotCache Cache { get; } = new();

        public XdsMetrics Metrics { get; } = new();

        public SnapshotProducer Producer { get; }

        public Watches WatchAll() => new([.. Identities.Select(i => Cache.Watch(i, _ => { }))]);
    }

    private sealed class Watches(List<IDisposable> watches) : IDisposable
    {
        public void Dispose() => watches.ForEach(w => w.Dispose());
    }
}
