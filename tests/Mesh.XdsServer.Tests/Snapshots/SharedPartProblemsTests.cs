using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;
using Mesh.Model.Graph;
using Mesh.Testing;
using Mesh.Translation;
using Mesh.Translation.Tests.Support;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A consistency problem of the part every client of a routing shares rejects each of them. It is logged once per
/// graph (<see cref="SharedPartProblems"/>), not once per identity; each identity is still rejected, counted and shows
/// its problems in proxy status, and problems of an identity's own part are still logged for each identity, even when
/// two identities' read alike (every node's own listeners are named alike).
/// </summary>
public sealed class SharedPartProblemsTests
{
    private const int Services = 6;
    private const int Clients = 5;
    private const string SharedProblem = "route config shared_route, route r: cluster shared_lost_cluster is missing";
    private const string OwnProblem = "listener own_listener: cluster own_nowhere is missing";

    private static readonly MeshKey Key = new(MeshRows.Account, "parts");
    private static readonly MeshKey OtherKey = new(MeshRows.Account, "other-parts");

    private readonly XdsMetrics _metrics = new();
    private readonly SnapshotCache _cache = new();
    private readonly CapturingLogger<SnapshotProducer> _logger = new();
    private readonly BrokenPartsTranslator _translator = new();

    [Fact]
    public void A_Shared_Parts_Problem_Is_Logged_Once_Per_Graph_While_Every_Identity_It_Rejects_Is_Counted_And_Shows_It()
    {
        var producer = new SnapshotProducer(_cache, _translator, _metrics, _logger);
        producer.SetMesh(Key, Mesh(Key, port: 8080));
        var watches = Enumerable.Range(0, Clients - 1).Select(c => _cache.Watch(Client(Key, c), _ => { })).ToList();
        try
        {
            // Four identities joined to one broken part: one error line, and each of them rejected, counted, shown.
            Assert.Single(_translator.SharedParts);
            AssertRejected(Key, Clients - 1, SharedProblem);
            Assert.Equal(4, _metrics.Get("mesh_xds_snapshots_rejected_total"));
            AssertErrors((Client(Key, 0), 107));
            Assert.Equal(3, Lines(LogLevel.Debug, 108));

            // A change every client reads: a new graph, its own part, the problem logged again, once.
            producer.SetMesh(Key, Mesh(Key, port: 8081));
            Assert.Equal(2, _translator.SharedParts.Count);
            AssertRejected(Key, Clients - 1, SharedProblem);
            Assert.Equal(8, _metrics.Get("mesh_xds_snapshots_rejected_total"));
            Assert.Equal(2, Lines(LogLevel.Error, 107));
            Assert.Equal(6, Lines(LogLevel.Debug, 108));

            // An identity connecting later on the same graph: rejected, counted and shown, not logged again.
            watches.Add(_cache.Watch(Client(Key, Clients - 1), _ => { }));
            AssertRejected(Key, Clients, SharedProblem);
            Assert.Equal(9, _metrics.Get("mesh_xds_snapshots_rejected_total"));
            Assert.Equal(2, Lines(LogLevel.Error, 107));
            Assert.Equal(7, Lines(LogLevel.Debug, 108));

            // Identities of another mesh's graph: the same problem there is logged again, once.
            producer.SetMesh(OtherKey, Mesh(OtherKey, port: 8080));
            watches.AddRange(Enumerable.Range(0, 2).Select(c => _cache.Watch(Client(OtherKey, c), _ => { })));
            AssertRejected(OtherKey, 2, SharedProblem);
            Assert.Equal(11, _metrics.Get("mesh_xds_snapshots_rejected_total"));
            Assert.Equal(3, Lines(LogLevel.Error, 107));
            Assert.Equal(8, Lines(LogLevel.Debug, 108));
            Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith($"Configuration for {Client(OtherKey, 0)} rejected", StringComparison.Ordinal));
            Assert.All(_logger.Entries.Where(e => e.Level == LogLevel.Error), e => Assert.Contains(SharedProblem, e.Message, StringComparison.Ordinal));
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public void A_Shared_Parts_Problem_That_Goes_And_Comes_Back_With_A_New_Graph_Is_Logged_Again()
    {
        var producer = new SnapshotProducer(_cache, _translator, _metrics, _logger);
        producer.SetMesh(Key, Mesh(Key, port: 8080));
        var seen = new ConcurrentQueue<Snapshot>();
        var watches = Enumerable.Range(0, Clients).Select(c => _cache.Watch(Client(Key, c), seen.Enqueue)).ToList();
        try
        {
            Assert.Equal(1, Lines(LogLevel.Error, 107));

            _translator.BreakShared = false;
            producer.SetMesh(Key, Mesh(Key, port: 8081));
            Assert.Equal(Clients, seen.Count);
            Assert.All(Enumerable.Range(0, Clients), c => Assert.Null(_cache.Problem(Client(Key, c))));

            _translator.BreakShared = true;
            producer.SetMesh(Key, Mesh(Key, port: 8082));
            AssertRejected(Key, Clients, SharedProblem);
            Assert.Equal(2, Lines(LogLevel.Error, 107));
            Assert.Equal(2 * (Clients - 1), Lines(LogLevel.Debug, 108));
            Assert.Equal(2 * Clients, _metrics.Get("mesh_xds_snapshots_rejected_total"));
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    /// <summary>
    /// An own listener that proxies to a cluster nobody has reads the same for every node that has it (its text names
    /// nothing of the node's), yet it is each node's own problem: logged for each, whether or not the shared part is
    /// broken too. Each identity shows its own problems, and only those, in proxy status.
    /// </summary>
    [Fact]
    public void Problems_Of_Each_Identitys_Own_Part_Are_Logged_For_Each_Even_When_They_Read_Alike()
    {
        var producer = new SnapshotProducer(_cache, _translator, _metrics, _logger);
        _translator.OwnBroken.UnionWith(["client-1", "client-3"]);
        _translator.BreakShared = false;
        producer.SetMesh(Key, Mesh(Key, port: 8080));
        producer.SetMesh(OtherKey, Mesh(OtherKey, port: 8080));
        var watches = new List<IDisposable>();
        try
        {
            // Only the own parts are broken: each broken one logged, as every rejection was.
            watches.AddRange(Enumerable.Range(0, 4).Select(c => _cache.Watch(Client(Key, c), _ => { })));
            AssertErrors((Client(Key, 1), 101), (Client(Key, 3), 101));
            Assert.Equal($"The snapshot is inconsistent: {OwnProblem}", _cache.Problem(Client(Key, 1)));
            Assert.Equal($"The snapshot is inconsistent: {OwnProblem}", _cache.Problem(Client(Key, 3)));
            Assert.Null(_cache.Problem(Client(Key, 0)));
            Assert.Null(_cache.Problem(Client(Key, 2)));

            // The shared part broken too (another mesh's graph, watched one identity after the other): the first
            // identity logs the shared problem, each identity with a problem of its own logs too, the rest do not.
            _translator.BreakShared = true;
            watches.AddRange(Enumerable.Range(0, 4).Select(c => _cache.Watch(Client(OtherKey, c), _ => { })));
            AssertErrors((Client(Key, 1), 101), (Client(Key, 3), 101), (Client(OtherKey, 0), 107), (Client(OtherKey, 1), 107), (Client(OtherKey, 3), 107));
            Assert.Equal(1, Lines(LogLevel.Debug, 108));
            Assert.Equal($"The snapshot is inconsistent: {SharedProblem}", _cache.Problem(Client(OtherKey, 0)));
            Assert.Equal($"The snapshot is inconsistent: {OwnProblem}; {SharedProblem}", _cache.Problem(Client(OtherKey, 1)));
            Assert.Equal($"The snapshot is inconsistent: {SharedProblem}", _cache.Problem(Client(OtherKey, 2)));
            Assert.Equal($"The snapshot is inconsistent: {OwnProblem}; {SharedProblem}", _cache.Problem(Client(OtherKey, 3)));
            Assert.Equal(6, _metrics.Get("mesh_xds_snapshots_rejected_total"));
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public void An_Own_Problem_That_Reads_Like_One_Of_The_Shared_Parts_Is_Still_The_Identitys_Own()
    {
        var problems = new SharedPartProblems();
        var shared = ProxyResources.Empty with { Clusters = [new Cluster()] };

        // A nameless cluster in the shared part, and one in the node's own part too: two problems alike, one its own.
        var both = Joined(Own() with { Clusters = [new Cluster(), new Cluster { Name = "own_cluster" }] }, shared);
        Assert.Equal(new[] { "a cluster has no name", "a cluster has no name" }, ResourceConsistency.Check(both));
        Assert.Equal(RejectionLogging.WithSharedPart, problems.Record(both, ResourceConsistency.Check(both)));
        Assert.Equal(RejectionLogging.WithSharedPart, problems.Record(both, ResourceConsistency.Check(both)));

        var sharedOnly = Joined(Own(), shared);
        Assert.Equal(RejectionLogging.LoggedBefore, problems.Record(sharedOnly, ResourceConsistency.Check(sharedOnly)));

        // Not joined: no shared part, every problem its own.
        var whole = both with { Parts = null };
        Assert.Equal(RejectionLogging.Own, problems.Record(whole, ResourceConsistency.Check(whole)));
    }

    [Fact]
    public void Past_Its_Capacity_A_Problem_Is_Logged_Every_Time_Rather_Than_Never()
    {
        var problems = new SharedPartProblems(capacity: 1);
        var first = Joined(Own(), BrokenShared("lost_a"));
        var second = Joined(Own(), BrokenShared("lost_b"));

        Assert.Equal(RejectionLogging.WithSharedPart, problems.Record(first, ResourceConsistency.Check(first)));
        Assert.Equal(RejectionLogging.LoggedBefore, problems.Record(first, ResourceConsistency.Check(first)));
        Assert.Equal(RejectionLogging.WithSharedPart, problems.Record(second, ResourceConsistency.Check(second)));
        Assert.Equal(RejectionLogging.WithSharedPart, problems.Record(second, ResourceConsistency.Check(second)));
        Assert.Equal(RejectionLogging.LoggedBefore, problems.Record(first, ResourceConsistency.Check(first)));
    }

    private static ProxyResources Own() => new([JoinedTranslations.Http("own_listener", "own_route")], [JoinedTranslations.Routes("own_route", "own_cluster")], [new Cluster { Name = "own_cluster" }], [], [], []);

    /// <summary>A shared part whose on-demand route configuration uses a cluster nobody has.</summary>
    private static ProxyResources BrokenShared(string cluster) => ProxyResources.Empty with
    {
        OnDemandListeners = [JoinedTranslations.Http("shared_listener", "shared_route")],
        RouteConfigurations = [JoinedTranslations.Routes("shared_route", cluster)],
    };

    private static ProxyResources Joined(ProxyResources own, ProxyResources shared)
    {
        var joined = ProxyResourceParts.Join(own, shared, [], []);
        Assert.NotNull(ProxyResourceParts.Of(joined));
        return joined;
    }

    private void AssertRejected(MeshKey key, int clients, string problem) =>
        Assert.All(Enumerable.Range(0, clients), c => Assert.Equal($"The snapshot is inconsistent: {problem}", _cache.Problem(Client(key, c))));

    /// <summary>The error lines logged so far are exactly these, one per identity, with these events.</summary>
    private void AssertErrors(params (ProxyIdentity Proxy, int Event)[] expected)
    {
        var errors = _logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(expected.Length, errors.Count);
        foreach (var (proxy, id) in expected)
        {
            Assert.Single(errors, e => e.Event.Id == id && e.Message.StartsWith($"Configuration for {proxy} rejected;", StringComparison.Ordinal));
        }
    }

    private int Lines(LogLevel level, int eventId) => _logger.Entries.Count(e => e.Level == level && e.Event.Id == eventId);

    private static ProxyIdentity Client(MeshKey key, int c) => new(key, ProxyKind.VirtualNode, $"client-{c}");

    /// <summary>Clients calling every service; each service a node of its own (<paramref name="port"/>: the first service's).</summary>
    private static MeshGraph Mesh(MeshKey key, int port)
    {
        var rows = new MeshRows(key.MeshName);
        var services = Enumerable.Range(0, Services).Select(s => $"service-{s}.{key.MeshName}.local").ToArray();
        for (var s = 0; s < Services; s++)
        {
            rows.Node($"service-{s}", services[s], s == 0 ? port : 8080).ServiceByNode(services[s], $"service-{s}");
        }

        for (var c = 0; c < Clients; c++)
        {
            rows.Node($"client-{c}", $"client-{c}.{key.MeshName}.local", 8080, "http", services);
        }

        return rows.Graph;
    }

    /// <summary>
    /// The real translator, with its clients' shared part broken (an on-demand route configuration using a cluster
    /// nobody has; one broken copy per part, so that the clients of a routing still share one object) while
    /// <see cref="BreakShared"/>, and the own part of the nodes in <see cref="OwnBroken"/> broken (a listener
    /// proxying TCP to a cluster nobody has: the same text for every such node).
    /// </summary>
    private sealed class BrokenPartsTranslator : IProxyTranslator
    {
        private readonly MeshTranslator _inner = new();
        private readonly ConditionalWeakTable<ProxyResources, ProxyResources> _broken = new();

        public bool BreakShared { get; set; } = true;

        /// <summary>Set before the identities are translated.</summary>
        public HashSet<string> OwnBroken { get; } = [];

        /// <summary>The shared parts the clients were joined to, as the translator made them.</summary>
        public ConcurrentDictionary<ProxyResources, bool> SharedParts { get; } = new(ReferenceEqualityComparer.Instance);

        public void MeshChanged(MeshGraph old, MeshGraph @new, MeshGraphDiff diff) => _inner.MeshChanged(old, @new, diff);

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
        {
            var resources = _inner.TranslateProxy(graph, target);
            if (!target.Name.StartsWith("client-", StringComparison.Ordinal))
            {
                return resources;
            }

            var parts = ProxyResourceParts.Of(resources) ?? throw new InvalidOperationException($"{target.Name}'s translation is not joined");
            SharedParts.TryAdd(parts.Shared, true);
            var shared = BreakShared ? _broken.GetValue(parts.Shared, Break) : parts.Shared;
            var own = OwnBroken.Contains(target.Name)
                ? parts.Own with { Listeners = [.. parts.Own.Listeners.Append(JoinedTranslations.Tcp("own_listener", "own_nowhere")).OrderBy(l => l.Name, StringComparer.Ordinal)] }
                : parts.Own;
            return ProxyResourceParts.Join(own, shared, resources.Warnings, resources.ProxylessWarnings);
        }

        private static ProxyResources Break(ProxyResources shared) => shared with
        {
            OnDemandListeners = [.. shared.OnDemandListeners.Append(JoinedTranslations.Http("shared_listener", "shared_route")).OrderBy(l => l.Name, StringComparer.Ordinal)],
            RouteConfigurations = [.. shared.RouteConfigurations.Append(JoinedTranslations.Routes("shared_route", "shared_lost_cluster")).OrderBy(r => r.Name, StringComparer.Ordinal)],
        };
    }
}
