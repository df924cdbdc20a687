using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// Sidecar resources that are the same for several identities (the egress route configuration and clusters of
/// client nodes with the same backends) are translated and packed once per graph: the identities' snapshots hold
/// the very same packed resource. A change to the mesh gives a new graph, whose resources are built again, never
/// taken from the previous graph's, and every replica still gets the same versions.
/// </summary>
public sealed class SharedResourcesTests
{
    private const string EgressRoute = "rds_egress_http_8080";

    private static MeshRows Mesh() => new MeshRows("shared")
        .Node("a1", "10.0.0.1", 8080)
        .Node("b1", "10.0.0.2", 8080)
        .Router("ra", 8080)
        .HttpRoute("ra", "default", "/", ("a1", 1))
        .ServiceByRouter("a.local", "ra")
        .ServiceByRouter("b.local", "ra")
        .Node("c1", "10.0.1.1", 8080, "http", "a.local", "b.local")
        .Node("c2", "10.0.1.2", 8080, "http", "b.local", "a.local")
        .Node("d1", "10.0.2.1", 8080, "http", "a.local");

    [Fact]
    public void Identities_With_The_Same_Backends_Share_The_Packed_Route_And_Clusters()
    {
        var mesh = Mesh();
        var server = new Server();
        server.Producer.SetMesh(mesh.Key, mesh.Graph);
        using var watches = server.Watch(mesh.Key, "c1", "c2", "d1");

        var c1 = server.Current(mesh.Key, "c1");
        var c2 = server.Current(mesh.Key, "c2");
        var d1 = server.Current(mesh.Key, "d1");

        Assert.Same(c1[TypeUrls.Route].ByName[EgressRoute], c2[TypeUrls.Route].ByName[EgressRoute]);
        Assert.NotEqual(c1[TypeUrls.Route].ByName[EgressRoute].Version, d1[TypeUrls.Route].ByName[EgressRoute].Version);
        Assert.NotEmpty(c2[TypeUrls.Cluster].All);
        foreach (var cluster in c2[TypeUrls.Cluster].All.Where(c => !c.Name.StartsWith("cds_ingress_", StringComparison.Ordinal)))
        {
            Assert.Same(cluster, c1[TypeUrls.Cluster].ByName[cluster.Name]);
        }
    }

    [Fact]
    public void A_Change_Builds_The_Shared_Resources_Again_And_Replicas_Agree_On_Versions()
    {
        var mesh = Mesh();
        var server = new Server();
        server.Producer.SetMesh(mesh.Key, mesh.Graph);
        using var watches = server.Watch(mesh.Key, "c1", "c2", "d1");
        var before = server.Current(mesh.Key, "c1")[TypeUrls.Route].ByName[EgressRoute];

        var changed = mesh.HttpRoute("ra", "default", "/v2", ("b1", 1));
        server.Producer.SetMesh(mesh.Key, changed.Graph);
        var replica = new Server();
        replica.Producer.SetMesh(mesh.Key, changed.Graph);
        using var replicaWatches = replica.Watch(mesh.Key, "c1", "c2", "d1");

        var after = server.Current(mesh.Key, "c1")[TypeUrls.Route].ByName[EgressRoute];
        Assert.NotEqual(before.Version, after.Version);
        Assert.Same(after, server.Current(mesh.Key, "c2")[TypeUrls.Route].ByName[EgressRoute]);
        foreach (var node in new[] { "c1", "c2", "d1" })
        {
            // What the changed server serves is exactly what a server that only ever saw the new mesh serves.
            Assert.Equal(replica.Current(mesh.Key, node).Version, server.Current(mesh.Key, node).Version);
        }

        // And back: the first graph's shared resources are not brought back from anywhere but a new translation.
        server.Producer.SetMesh(mesh.Key, mesh.HttpRoute("ra", "default", "/", ("a1", 1)).Graph);
        Assert.Equal(before.Version, server.Current(mesh.Key, "c1")[TypeUrls.Route].ByName[EgressRoute].Version);
    }

    private sealed class Server
    {
        public Server()
        {
            Producer = new SnapshotProducer(Cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        }

        public SnapshotCache Cache { get; } = new();

        public SnapshotProducer Producer { get; }

        public Snapshot Current(MeshKey mesh, string node) => Cache.Current(new ProxyIdentity(mesh, ProxyKind.VirtualNode, node))!;

        public Watches Watch(MeshKey mesh, params string[] nodes) =>
            new([.. nodes.Select(n => Cache.Watch(new ProxyIdentity(mesh, ProxyKind.VirtualNode, n), _ => { }))]);
    }

    private sealed class Watches(List<IDisposable> watches) : IDisposable
    {
        public void Dispose() => watches.ForEach(w => w.Dispose());
    }
}
