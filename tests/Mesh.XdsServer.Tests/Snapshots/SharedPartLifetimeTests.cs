using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// What the identities of one routing share is packed once per graph, and versioning the lists they join to it saves
/// SHA-256 states (<see cref="JoinedVersions"/>, a native context each). The producer retires a graph's shared parts
/// when a change replaces the graph (<see cref="SharedPartLifetime"/>): their states are freed then, not whenever a
/// finaliser gets to them, while the new graph's parts keep theirs, and builds still running on the old graph lose
/// nothing but the saved states.
/// </summary>
public sealed class SharedPartLifetimeTests
{
    private const int Services = 12;
    private const int Clients = 3;

    private static readonly MeshKey Key = new(MeshRows.Account, "parts");

    [Fact]
    public void A_Change_Frees_The_States_The_Replaced_Graphs_Parts_Saved_And_Not_The_New_Ones()
    {
        var translator = new MeshTranslator();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, translator, new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        var before = Mesh(port: 8080);
        producer.SetMesh(Key, before);
        var watches = Enumerable.Range(0, Clients).Select(c => cache.Watch(Client(c), _ => { })).ToList();
        try
        {
            // Every client joined the part (own cluster after the egress clusters: a state saved per cluster list).
            var old = SavedStates(producer, translator, before);
            Assert.NotEmpty(old);

            // A change every client reads (a backend's port): the clients are rebuilt on the new graph's part.
            var after = Mesh(port: 8081);
            producer.SetMesh(Key, after);

            Assert.All(old, state => Assert.Throws<ObjectDisposedException>(() => state.Clone()));
            Assert.Empty(SavedStates(producer, translator, before));
            var current = SavedStates(producer, translator, after);
            Assert.NotEmpty(current);
            Assert.All(current, state => state.Clone().Dispose());
            Assert.All(Enumerable.Range(0, Clients), c => AssertVersionsExact(cache.Current(Client(c))!));
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    /// <summary>
    /// Changes retire parts while first watches build on whichever graph they read (the old one, just replaced, or
    /// the new one): every snapshot delivered has every version exactly, and no build fails.
    /// </summary>
    [Fact]
    public async Task Builds_Running_While_Their_Graph_Is_Replaced_Get_Every_Version_Right()
    {
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        producer.SetMesh(Key, Mesh(port: 8080));
        var delivered = 0;
        using var done = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            // Each watch is a first watch: its snapshot is built on this thread from the graph it reads.
            for (var watch = 0; !done.IsCancellationRequested; watch++)
            {
                // The changes' builds deliver to the watch too, from the changing thread.
                var snapshots = new System.Collections.Concurrent.ConcurrentQueue<Snapshot>();
                cache.Watch(Client(watch % Clients), snapshots.Enqueue).Dispose();
                foreach (var snapshot in snapshots)
                {
                    AssertVersionsExact(snapshot);
                }

                Interlocked.Add(ref delivered, snapshots.Count);
            }
        });

        // At least 60 changes, and on until the watches have had 200 snapshots built among them.
        var changes = 0;
        while (changes < 60 || Volatile.Read(ref delivered) < 200)
        {
            Assert.False(watcher.IsCompleted, watcher.Exception?.ToString() ?? "the watches stopped");
            Assert.True(changes < 1_000_000, $"{Volatile.Read(ref delivered)} snapshots delivered to the watches in {changes} changes");
            producer.SetMesh(Key, Mesh(port: 8080 + (++changes % 2))); // a new graph each time, as the feed loads them
        }

        done.Cancel();
        await watcher.WaitAsync(TimeSpan.FromMinutes(1));
    }

    private static ProxyIdentity Client(int c) => new(Key, ProxyKind.VirtualNode, $"client-{c}");

    /// <summary>Clients calling every service; each service a node of its own (<paramref name="port"/>: the first service's).</summary>
    private static Model.Graph.MeshGraph Mesh(int port)
    {
        var rows = new MeshRows(Key.MeshName);
        var services = Enumerable.Range(0, Services).Select(s => $"service-{s}.parts.local").ToArray();
        for (var s = 0; s < Services; s++)
        {
            rows.Node($"service-{s}", services[s], s == 0 ? port : 8080).ServiceByNode(services[s], $"service-{s}");
        }

        for (var c = 0; c < Clients; c++)
        {
            rows.Node($"client-{c}", $"client-{c}.parts.local", 8080, "http", services);
        }

        return rows.Graph;
    }

    /// <summary>The states the versioning of the clients' joins to <paramref name="graph"/>'s shared part holds now.</summary>
    private static List<System.Security.Cryptography.IncrementalHash> SavedStates(SnapshotProducer producer, MeshTranslator translator, Model.Graph.MeshGraph graph)
    {
        var part = ProxyResourceParts.Of(translator.TranslateProxy(graph, ProxyTarget.VirtualNode("client-0")))?.Shared ?? throw new InvalidOperationException("the clients' translation is not joined");
        var sets = producer.Interner.SharedSetsOf(part) ?? throw new InvalidOperationException("the shared part repeats a name");
        return [.. new[] { sets.Listeners, sets.Routes, sets.Clusters, sets.Endpoints, sets.Secrets }.SelectMany(s => s.SavedHashStates)];
    }

    private static void AssertVersionsExact(Snapshot snapshot)
    {
        foreach (var type in TypeUrls.AdsOrder)
        {
            Assert.Equal(Hashing.VersionOf(snapshot[type].All), snapshot[type].AllVersion);
            Assert.Equal(Hashing.VersionOf(snapshot[type].Wildcard), snapshot[type].WildcardVersion);
        }
    }
}
