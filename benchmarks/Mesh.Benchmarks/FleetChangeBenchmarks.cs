using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks;

/// <summary>
/// The server's side of the fleet benchmark's route change (benchmarks/Mesh.Fleet), in process and without
/// streams: the fleet's mesh at 10,000 proxies (50 services, each a node behind a router with one route with a
/// retry policy; 200 client nodes calling all 50 services), every client identity watched, and service 0's retry
/// count changed, which every client's configuration reads. <c>Reload</c> is what the xDS server does per change
/// from the rows it read: build the graph (reusing what the previous build parsed for unchanged rows, as the
/// loader does), then hand it to the producer, which diffs it and rebuilds the 200 identities' snapshots.
/// <c>Build</c>, <c>BuildReusing</c> and <c>Translate</c> are its parts. The <c>Identity…</c> benchmarks are what
/// the change costs per identity once the graph's shared parts are built (the egress routing, the proxyless names
/// and their bundle, packed): each adds one stage of <c>SnapshotProducer.Build</c> to the one before, so the stages
/// are their differences; <c>Translate</c> (a new translator: the shared parts built too) less
/// <c>IdentityTranslate</c> is what the change's first identity builds for all of them. <c>GraphStage</c> is that
/// per-graph part of a route change alone, on a translator told of every change as the producer's is (so what it
/// carries across a change is carried here too): the graph built from the rows (the unchanged ones reused, as
/// <c>BuildReusing</c>), diffed, handed to <c>MeshChanged</c>, then the first client translated, which builds the egress
/// routing and the proxyless bundle; <c>GraphStageSnapshot</c> adds the check and the packing of that identity,
/// where whatever was not carried is serialised. The <c>Identity…</c> benchmarks take the other clients in turn, as a
/// change does: what one identity's build may share with the identity before it (a version remembered by its own
/// lines) is shared only as often as the fleet's clients really are alike.
/// </summary>
[MemoryDiagnoser]
public class FleetChangeBenchmarks
{
    private const int Services = 50;
    private const int Clients = 200;

    private readonly List<MeshResourceRow>[] _rows = new List<MeshResourceRow>[2];
    private readonly MeshGraph[] _graphs = new MeshGraph[2];
    private readonly List<IDisposable> _watches = [];
    private SnapshotProducer _producer = null!;
    private MeshTranslator _warmTranslator = null!;
    private ResourceInterner _interner = null!;
    private MeshTranslator _stageTranslator = null!;
    private ResourceInterner _stageInterner = null!;
    private MeshGraph _stageGraph = null!;
    private ParsedRows _parsed = ParsedRows.Empty;
    private ProxyResources _identity = null!;
    private ProxyResources _identityNotJoined = null!;
    private Snapshot _snapshot = null!;
    private ProxyTarget[] _others = null!;
    private (SnapshotBuilder.Shared Shared, XdsResource[][] Own)[] _joins = null!;
    private int _other;
    private int _revision;

    private static MeshKey Key { get; } = new("111122223333", "fleet");

    [GlobalSetup]
    public void Setup()
    {
        for (var r = 0; r < 2; r++)
        {
            _rows[r] = [.. Rows(retries: 3 + r)];
            _graphs[r] = MeshGraph.Build(_rows[r]);
        }

        MeshGraph.Build(_rows[0], null, out _parsed);

        // The change's first identity, as the producer builds it: what the graph's identities share is then built,
        // checked (the shared listeners' uses remembered) and packed, and the next identity pays only its own part.
        _warmTranslator = new MeshTranslator();
        _interner = new ResourceInterner();
        SnapshotBuilder.Build(Checked(_warmTranslator.TranslateProxy(_graphs[0], ProxyTarget.VirtualNode("client-0"))), _interner);
        _others = [.. Enumerable.Range(1, Clients - 1).Select(c => ProxyTarget.VirtualNode($"client-{c}"))];
        _joins = [.. _others.Select(OwnPacked)];
        _identity = IdentityCheck();
        _identityNotJoined = _identity with { Parts = null };
        _snapshot = SnapshotBuilder.Build(_identity, _interner);

        _stageTranslator = new MeshTranslator();
        _stageInterner = new ResourceInterner();
        _stageGraph = _graphs[0];
        SnapshotBuilder.Build(Checked(_stageTranslator.TranslateProxy(_stageGraph, ProxyTarget.VirtualNode("client-0"))), _stageInterner);

        var cache = new SnapshotCache();
        _producer = new SnapshotProducer(cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        _producer.SetMesh(Key, _graphs[0]);
        for (var c = 0; c < Clients; c++)
        {
            _watches.Add(cache.Watch(new ProxyIdentity(Key, ProxyKind.VirtualNode, $"client-{c}"), _ => { }));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _watches.ForEach(w => w.Dispose());

    [Benchmark(Description = "route change: graph from the rows (the unchanged ones reused), diff, 200 identities rebuilt")]
    public void Reload()
    {
        _revision ^= 1;
        _producer.SetMesh(Key, MeshGraph.Build(_rows[_revision], _parsed, out _parsed));
    }

    [Benchmark(Description = "MeshGraph.Build of the fleet mesh, every row parsed")]
    public MeshGraph Build() => MeshGraph.Build(_rows[0]);

    [Benchmark(Description = "MeshGraph.Build of the fleet mesh after a route change, the other rows reused")]
    public MeshGraph BuildReusing()
    {
        _revision ^= 1;
        return MeshGraph.Build(_rows[_revision], _parsed, out _parsed);
    }

    [Benchmark(Description = "TranslateProxy of one client (50 backends)")]
    public ProxyResources Translate() => new MeshTranslator().TranslateProxy(_graphs[0], ProxyTarget.VirtualNode("client-0"));

    [Benchmark(Description = "one more identity of a change: TranslateProxy (the shared parts built)")]
    public ProxyResources IdentityTranslate() => _warmTranslator.TranslateProxy(_graphs[0], _others[NextOther()]);

    [Benchmark(Description = "one more identity of a change: TranslateProxy, ResourceConsistency.Check")]
    public ProxyResources IdentityCheck() => Checked(IdentityTranslate());

    /// <summary>Of the check alone: one identity's joined translation (its shared part read before, as the change's first identity does).</summary>
    [Benchmark(Description = "one identity's check alone: ResourceConsistency.Check of its joined translation")]
    public int IdentityCheckOnly() => ResourceConsistency.Check(_identity).Count;

    /// <summary>Of the check alone: the same identity's lists not joined, as any translation that is not is checked.</summary>
    [Benchmark(Description = "one identity's check alone: the same lists not joined (read whole)")]
    public int IdentityCheckNotJoined() => ResourceConsistency.Check(_identityNotJoined).Count;

    [Benchmark(Description = "one more identity of a change: TranslateProxy, Check, SnapshotBuilder.Build (packed through the interner)")]
    public Snapshot IdentitySnapshot() => SnapshotBuilder.Build(IdentityCheck(), _interner);

    [Benchmark(Description = "route change's per-graph part: graph from the rows (reused), diff, MeshChanged, the first client's TranslateProxy")]
    public ProxyResources GraphStage()
    {
        _revision ^= 1;
        var graph = MeshGraph.Build(_rows[_revision], _parsed, out _parsed);
        _stageTranslator.MeshChanged(_stageGraph, graph, MeshGraphDiff.Between(_stageGraph, graph));
        _stageGraph = graph;
        return _stageTranslator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-0"));
    }

    [Benchmark(Description = "route change's per-graph part, and the first client's Check and SnapshotBuilder.Build (packed through the interner)")]
    public Snapshot GraphStageSnapshot() => SnapshotBuilder.Build(Checked(GraphStage()), _stageInterner);

    /// <summary>
    /// Of the build alone: each of one identity's messages packed through the interner into its type's array, as
    /// the build does before it sorts (no sort, no versions, no snapshot), to split the build stage.
    /// </summary>
    [Benchmark(Description = "one identity's build, packing only: every message through the interner into its type's array")]
    public int IdentityPackOnly()
    {
        var r = _identity;
        return Packed(TypeUrls.Listener, r.Listeners, r.OnDemandListeners, static l => l.Name)
            + Packed(TypeUrls.Route, r.RouteConfigurations, [], static c => c.Name)
            + Packed(TypeUrls.Cluster, r.Clusters, r.OnDemandClusters, static c => c.Name)
            + Packed(TypeUrls.Endpoint, r.ClusterLoadAssignments, [], static e => e.ClusterName)
            + Packed(TypeUrls.Secret, r.Secrets, [], static s => s.Name);
    }

    /// <summary>Of the build alone: the versions it computes, each set's whole list and (when not the same list) its wildcard hashed.</summary>
    [Benchmark(Description = "one identity's build, versions only: each set's whole and wildcard lists hashed")]
    public int IdentityVersionsOnly()
    {
        var length = 0;
        foreach (var set in _snapshot.ByType.Values)
        {
            length += Hashing.VersionOf(set.All).Length;
            length += ReferenceEquals(set.Wildcard, set.All) ? 0 : Hashing.VersionOf(set.Wildcard).Length;
        }

        return length;
    }

    /// <summary>
    /// Of the build alone: one identity's own packed resources joined to the shared part's five sets as the build
    /// joins them (<c>ResourceSet.Join</c>: sorted, merged, each list versioned), the other clients in turn.
    /// </summary>
    [Benchmark(Description = "one identity's build, join only: its own packed resources merged into the shared part's sets and versioned")]
    public int IdentityJoinOnly() => Join(_joins[NextOther()]);

    /// <summary>
    /// Of the build alone, as a change runs it: every other client's join (<see cref="IdentityJoinOnly"/>) in
    /// parallel across cores, as the producer builds identities, so that what the joins share (the versioning of the
    /// part's lists, under its lock) is contended as much as joins alone can: per operation, 199 joins.
    /// </summary>
    [Benchmark(Description = "the build's join of every other client, in parallel across cores as a change runs them (199 joins)")]
    public int JoinsInParallel()
    {
        var count = 0;
        Parallel.For(0, _joins.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => Interlocked.Add(ref count, Join(_joins[i])));
        return count;
    }

    /// <summary>How many joins <see cref="JoinsInParallel"/> makes.</summary>
    public int OtherClients => _others.Length;

    private static int Join((SnapshotBuilder.Shared Shared, XdsResource[][] Own) client)
    {
        var (shared, own) = client;
        return ResourceSet.Join(shared.Listeners, own[0]).Count
            + ResourceSet.Join(shared.Routes, own[1]).Count
            + ResourceSet.Join(shared.Clusters, own[2]).Count
            + ResourceSet.Join(shared.Endpoints, own[3]).Count
            + ResourceSet.Join(shared.Secrets, own[4]).Count;
    }

    private int NextOther() => _other = (_other + 1) % _others.Length;

    /// <summary>A client's shared part's sets and its own resources packed through the interner, per type as <see cref="IdentityJoinOnly"/> joins them.</summary>
    private (SnapshotBuilder.Shared, XdsResource[][]) OwnPacked(ProxyTarget client)
    {
        var parts = ProxyResourceParts.Of(_warmTranslator.TranslateProxy(_graphs[0], client)) ?? throw new InvalidOperationException("a fleet client's translation is not joined");
        var shared = _interner.SharedSetsOf(parts.Shared) ?? throw new InvalidOperationException("the fleet's shared part repeats a name");
        var own = parts.Own;
        return (shared,
        [
            [.. own.Listeners.Select(l => _interner.Pack(TypeUrls.Listener, l.Name, l, false))],
            [.. own.RouteConfigurations.Select(r => _interner.Pack(TypeUrls.Route, r.Name, r, false))],
            [.. own.Clusters.Select(c => _interner.Pack(TypeUrls.Cluster, c.Name, c, false))],
            [.. own.ClusterLoadAssignments.Select(e => _interner.Pack(TypeUrls.Endpoint, e.ClusterName, e, false))],
            [.. own.Secrets.Select(s => _interner.Pack(TypeUrls.Secret, s.Name, s, false))],
        ]);
    }

    private int Packed<T>(string typeUrl, IReadOnlyList<T> wildcard, IReadOnlyList<T> onDemand, Func<T, string> nameOf)
        where T : Google.Protobuf.IMessage
    {
        var packed = new XdsResource[wildcard.Count + onDemand.Count];
        for (var i = 0; i < wildcard.Count; i++)
        {
            packed[i] = _interner.Pack(typeUrl, nameOf(wildcard[i]), wildcard[i], false);
        }

        for (var i = 0; i < onDemand.Count; i++)
        {
            packed[wildcard.Count + i] = _interner.Pack(typeUrl, nameOf(onDemand[i]), onDemand[i], true);
        }

        return packed.Length;
    }

    private static ProxyResources Checked(ProxyResources resources) =>
        ResourceConsistency.Check(resources) is { Count: 0 } ? resources : throw new InvalidOperationException("the fleet mesh's snapshot is inconsistent");

    private static IEnumerable<MeshResourceRow> Rows(int retries)
    {
        yield return Row(MeshResourceKinds.Mesh, "", "fleet", new { });
        for (var i = 0; i < Services; i++)
        {
            yield return Row(MeshResourceKinds.VirtualNode, "", $"svc-{i}", Node($"svc-{i}.fleet.local", null));
            yield return Row(MeshResourceKinds.VirtualRouter, "", $"router-{i}", new { listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } } });
            yield return Row(MeshResourceKinds.Route, $"router-{i}", "route", new
            {
                httpRoute = new
                {
                    match = new { prefix = "/" },
                    action = new { weightedTargets = new[] { new { virtualNode = $"svc-{i}", weight = 100 } } },
                    retryPolicy = new
                    {
                        maxRetries = i == 0 ? retries : 2,
                        perRetryTimeout = new { unit = "ms", value = 1000 },
                        httpRetryEvents = new[] { "server-error", "gateway-error" },
                    },
                },
            }, version: i == 0 ? retries : 1);
            yield return Row(MeshResourceKinds.VirtualService, "", $"svc-{i}.fleet.local", new { provider = new { virtualRouter = new { virtualRouterName = $"router-{i}" } } });
        }

        var backends = Enumerable.Range(0, Services).Select(i => new { virtualService = new { virtualServiceName = $"svc-{i}.fleet.local" } }).ToArray();
        for (var c = 0; c < Clients; c++)
        {
            yield return Row(MeshResourceKinds.VirtualNode, "", $"client-{c}", Node($"client-{c}.fleet.local", backends));
        }
    }

    private static object Node(string host, object[]? backends) => new
    {
        listeners = new[]
        {
            new
            {
                portMapping = new { port = 8080, protocol = "http" },
                healthCheck = new { protocol = "http", path = "/health", healthyThreshold = 2, unhealthyThreshold = 3, timeoutMillis = 2000, intervalMillis = 5000 },
            },
        },
        serviceDiscovery = new { dns = new { hostname = host } },
        backends,
    };

    private static MeshResourceRow Row(string kind, string parent, string name, object spec, long version = 1) =>
        new(kind, parent, name, version, JsonSerializer.Serialize(spec));
}
