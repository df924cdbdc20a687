using Mesh.Translation;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The passive cache of proxy identity → snapshot and its watchers (go-control-plane's SnapshotCache: set a
/// snapshot, watch, cancel). It builds nothing: <see cref="SnapshotProducer"/> translates and builds outside this
/// cache's lock and hands the result to <see cref="Set"/>. The lock guards only dictionary and list updates, so a
/// new stream's <see cref="Watch"/>, a proxy-status read or a <c>/metrics</c> scrape never waits for a translation.
/// Watchers are told under the lock, so they see snapshots in order; they must not block (streams post into a
/// latest-wins channel).
/// </summary>
public sealed class SnapshotCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ProxyIdentity, Entry> _entries = [];

    /// <summary>
    /// Raised, outside the lock, when an identity gets its first watcher: the producer builds its snapshot then, on
    /// the watching thread, so that it is delivered before <see cref="Watch"/> returns when it can be built.
    /// </summary>
    public event Action<ProxyIdentity>? FirstWatch;

    public int WatchedIdentities
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Watched identities with no snapshot to serve (for the mesh_xds_proxy_identities_waiting gauge): their resource is
    /// not in the mesh (never created, or deleted) or no translation of it has succeeded yet, so their proxies wait.
    /// </summary>
    public int WaitingIdentities
    {
        get
        {
            lock (_lock)
            {
                return _entries.Values.Count(e => e.Current is null);
            }
        }
    }

    /// <summary>Translation warnings across every watched identity, by kind, every kind named (for the mesh_xds_translation_warnings_standing gauge).</summary>
    public IReadOnlyDictionary<WarningKind, int> WarningCounts
    {
        get
        {
            lock (_lock)
            {
                return CountByKind(_entries.Values.SelectMany(e => e.Warnings));
            }
        }
    }

    /// <summary>Proxyless translation warnings across every watched identity, by kind (mesh_xds_proxyless_translation_warnings_standing).</summary>
    public IReadOnlyDictionary<WarningKind, int> ProxylessWarningCounts
    {
        get
        {
            lock (_lock)
            {
                return CountByKind(_entries.Values.SelectMany(e => e.ProxylessWarnings));
            }
        }
    }

    private static Dictionary<WarningKind, int> CountByKind(IEnumerable<TranslationWarning> warnings)
    {
        var counts = WarningKinds.All.ToDictionary(k => k, _ => 0);
        foreach (var warning in warnings)
        {
            counts[warning.Kind]++;
        }

        return counts;
    }

    /// <summary>
    /// Registers a watcher for an identity. If a snapshot exists, or can be built for a first watcher, it is
    /// delivered before this returns. Dispose the result when the stream ends.
    /// </summary>
    public IDisposable Watch(ProxyIdentity identity, Action<Snapshot> onSnapshot)
    {
        bool first;
        Entry entry;
        lock (_lock)
        {
            first = !_entries.TryGetValue(identity, out var existing);
            entry = existing ?? new Entry(identity);
            _entries[identity] = entry;
            entry.Watchers.Add(onSnapshot);
            if (entry.Current is { } current)
            {
                onSnapshot(current);
            }
        }

        if (first)
        {
            FirstWatch?.Invoke(identity);
        }

        return new Subscription(this, entry, onSnapshot);
    }

    /// <summary>Every identity that has a watcher now.</summary>
    public IReadOnlyList<ProxyIdentity> Watched()
    {
        lock (_lock)
        {
            return [.. _entries.Keys];
        }
    }

    /// <summary>The identities of one mesh that have a watcher now.</summary>
    public IReadOnlyList<ProxyIdentity> WatchedIn(MeshKey mesh)
    {
        lock (_lock)
        {
            return [.. _entries.Keys.Where(i => i.Mesh == mesh)];
        }
    }

    /// <summary>Whether any identity of the mesh has a watcher now.</summary>
    public bool IsWatched(MeshKey mesh)
    {
        lock (_lock)
        {
            foreach (var identity in _entries.Keys)
            {
                if (identity.Mesh == mesh)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Every snapshot being served (what the resource interner must keep).</summary>
    public IReadOnlyList<Snapshot> Snapshots()
    {
        lock (_lock)
        {
            return [.. _entries.Values.Select(e => e.Current).OfType<Snapshot>()];
        }
    }

    /// <summary>The snapshot an identity is being served, or null while it waits for its resource.</summary>
    public Snapshot? Current(ProxyIdentity identity)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(identity, out var e) ? e.Current : null;
        }
    }

    /// <summary>What the translation of an identity's configuration left out, sorted; empty when nothing.</summary>
    public IReadOnlyList<TranslationWarning> Warnings(ProxyIdentity identity)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(identity, out var e) ? e.Warnings : [];
        }
    }

    /// <summary>What only an identity's proxyless gRPC clients and servers miss, sorted; empty when nothing.</summary>
    public IReadOnlyList<TranslationWarning> ProxylessWarnings(ProxyIdentity identity)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(identity, out var e) ? e.ProxylessWarnings : [];
        }
    }

    /// <summary>Why an identity has no (or an outdated) snapshot; null when it is up to date.</summary>
    public string? Problem(ProxyIdentity identity)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(identity, out var e) ? e.Problem : null;
        }
    }

    /// <summary>
    /// Records what the producer made of an identity from its mesh's graph number <see cref="SnapshotUpdate.Generation"/>,
    /// and tells the watchers if the snapshot changed. An update from an older graph than the one already applied
    /// (two builds finishing out of order) and an update for an identity nobody watches any more are ignored.
    /// </summary>
    public SetResult Set(ProxyIdentity identity, SnapshotUpdate update)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(identity, out var entry) || update.Generation < entry.Generation)
            {
                return SetResult.Ignored;
            }

            entry.Generation = update.Generation;
            entry.Problem = update.Problem;
            if (update.ResourceMissing)
            {
                // The identity's resource is not in the graph (deleted, or never created). Its last snapshot is
                // dropped rather than kept: which one a replica last built depends on which graphs it happened to
                // load (a change coalesced with the delete or not), and a replica started now has none, so keeping
                // it would serve a proxy a version that depends on history. The watchers are told nothing: a
                // connected proxy keeps the configuration it runs, and is sent nothing again if the resource comes
                // back as it was.
                var dropped = entry.Current is not null;
                entry.Current = null;
                entry.Warnings = [];
                entry.ProxylessWarnings = [];
                return new SetResult(true, dropped, []);
            }

            var added = Replace(entry.Warnings, update.Warnings, out var warnings);
            entry.Warnings = warnings;
            var addedProxyless = Replace(entry.ProxylessWarnings, update.ProxylessWarnings, out var proxyless);
            entry.ProxylessWarnings = proxyless;

            if (update.Snapshot is not { } snapshot || snapshot.Version == entry.Current?.Version)
            {
                return new SetResult(true, false, added) { AddedProxylessWarnings = addedProxyless };
            }

            entry.Current = snapshot;
            foreach (var watcher in entry.Watchers)
            {
                watcher(snapshot);
            }

            return new SetResult(true, true, added) { Offered = entry.Watchers.Count, AddedProxylessWarnings = addedProxyless };
        }
    }

    /// <summary>
    /// The warnings an update leaves (<paramref name="kept"/>: <paramref name="update"/>'s, or <paramref name="current"/>
    /// when it has none, as when translation did not run), and those of them that are new.
    /// </summary>
    private static IReadOnlyList<TranslationWarning> Replace(IReadOnlyList<TranslationWarning> current, IReadOnlyList<TranslationWarning>? update, out IReadOnlyList<TranslationWarning> kept)
    {
        kept = current;
        if (update is null || update.SequenceEqual(current))
        {
            return [];
        }

        kept = update;
        return [.. update.Except(current)];
    }

    private void Unwatch(Entry entry, Action<Snapshot> watcher)
    {
        lock (_lock)
        {
            entry.Watchers.Remove(watcher);
            if (entry.Watchers.Count == 0 && _entries.TryGetValue(entry.Identity, out var current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(entry.Identity);
            }
        }
    }

    /// <summary>What <see cref="Set"/> did: whether it applied the update, swapped the snapshot, and which warnings are new.</summary>
    public sealed record SetResult(bool Applied, bool SnapshotChanged, IReadOnlyList<TranslationWarning> AddedWarnings)
    {
        /// <summary>How many watchers (streams) were offered the new snapshot.</summary>
        public int Offered { get; init; }

        /// <summary>Which proxyless warnings are new.</summary>
        public IReadOnlyList<TranslationWarning> AddedProxylessWarnings { get; init; } = [];

        public static SetResult Ignored { get; } = new(false, false, []);
    }

    private sealed class Entry(ProxyIdentity identity)
    {
        public ProxyIdentity Identity { get; } = identity;

        public long Generation { get; set; } = -1;

        public IReadOnlyList<TranslationWarning> Warnings { get; set; } = [];

        public IReadOnlyList<TranslationWarning> ProxylessWarnings { get; set; } = [];

        public Snapshot? Current { get; set; }

        public string? Problem { get; set; }

        public List<Action<Snapshot>> Watchers { get; } = [];
    }

    private sealed class Subscription(SnapshotCache cache, Entry entry, Action<Snapshot> watcher) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                cache.Unwatch(entry, watcher);
            }
        }
    }
}

/// <summary>
/// What the producer made of one identity from one graph: a snapshot (null: none could be built, the last good one
/// keeps serving), why not, and the translation's warnings (null: translation did not run, keep the last ones).
/// <see cref="ResourceMissing"/>: the graph has no resource for the identity, so it has no snapshot at all.
/// </summary>
public sealed record SnapshotUpdate(long Generation, Snapshot? Snapshot, string? Problem, IReadOnlyList<TranslationWarning>? Warnings, bool ResourceMissing = false)
{
    /// <summary>What only the identity's gRPC clients and servers miss (null: translation did not run, keep the last ones).</summary>
    public IReadOnlyList<TranslationWarning>? ProxylessWarnings { get; init; }

    /// <summary>The graph (or the mesh) has no resource for the identity: it has no snapshot, and waits.</summary>
    public static SnapshotUpdate Missing(long generation, string problem) => new(generation, null, problem, [], ResourceMissing: true) { ProxylessWarnings = [] };
}
