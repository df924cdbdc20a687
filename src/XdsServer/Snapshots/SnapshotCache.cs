using Mesh.Model.Graph;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The live holder (YARP's "state" tier): the last good mesh graph of every mesh, and the last good snapshot of
/// every proxy identity that has a stream open. A new graph recomputes only the identities of that mesh; a
/// snapshot that fails translation or its consistency check is logged and counted, and the previous one keeps
/// serving. Watchers are told under the lock, so they see snapshots in order; they must not block (streams
/// post into a latest-wins channel).
/// </summary>
public sealed partial class SnapshotCache(IMeshTranslator translator, XdsMetrics metrics, ILogger<SnapshotCache> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<MeshKey, MeshGraph> _meshes = [];
    private readonly Dictionary<ProxyIdentity, Entry> _entries = [];
    private readonly ResourceInterner _interner = new();

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

    public int InternedResources
    {
        get
        {
            lock (_lock)
            {
                return _interner.Count;
            }
        }
    }

    /// <summary>
    /// Registers a watcher for an identity. If a snapshot exists it is delivered before this returns. Dispose the
    /// result when the stream ends.
    /// </summary>
    public IDisposable Watch(ProxyIdentity identity, Action<Snapshot> onSnapshot)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(identity, out var entry))
            {
                entry = new Entry(identity);
                _entries[identity] = entry;
                Recompute(entry);
            }

            entry.Watchers.Add(onSnapshot);
            if (entry.Current is { } current)
            {
                onSnapshot(current);
            }

            return new Subscription(this, entry, onSnapshot);
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
    public IReadOnlyList<string> Warnings(ProxyIdentity identity)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(identity, out var e) ? e.Warnings : [];
        }
    }

    /// <summary>Translation warnings across every watched identity (for the mesh_xds_translation_warnings gauge).</summary>
    public int WarningCount
    {
        get
        {
            lock (_lock)
            {
                return _entries.Values.Sum(e => e.Warnings.Count);
            }
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

    public MeshGraph? Mesh(MeshKey key)
    {
        lock (_lock)
        {
            return _meshes.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<MeshKey> Meshes
    {
        get
        {
            lock (_lock)
            {
                return [.. _meshes.Keys];
            }
        }
    }

    /// <summary>
    /// Replaces a mesh's graph (null: the mesh is gone) and pushes new snapshots to the proxies whose
    /// configuration changed. A graph equal to the current one changes nothing.
    /// </summary>
    public void SetMesh(MeshKey key, MeshGraph? graph)
    {
        lock (_lock)
        {
            var old = _meshes.GetValueOrDefault(key);
            if (Equals(old, graph))
            {
                return;
            }

            if (graph is null)
            {
                _meshes.Remove(key);
            }
            else
            {
                _meshes[key] = graph;
            }

            foreach (var entry in _entries.Values.Where(e => e.Identity.Mesh == key))
            {
                Recompute(entry);
            }

            _interner.Retain(_entries.Values.Select(e => e.Current).OfType<Snapshot>());
        }
    }

    private void Recompute(Entry entry)
    {
        var snapshot = Build(entry.Identity, out var problem, out var warnings);
        entry.Problem = problem;
        if (warnings is not null && !warnings.SequenceEqual(entry.Warnings, StringComparer.Ordinal))
        {
            // Logged and counted when they change, not on every rebuild: a warning that stays is not news.
            var added = warnings.Except(entry.Warnings, StringComparer.Ordinal).ToList();
            entry.Warnings = warnings;
            foreach (var warning in added)
            {
                metrics.TranslationWarning();
                LogWarning(entry.Identity.ToString(), warning);
            }
        }

        if (snapshot is null || snapshot.Version == entry.Current?.Version)
        {
            return;
        }

        entry.Current = snapshot;
        metrics.SnapshotBuilt();
        LogSnapshot(entry.Identity.ToString(), snapshot.Version, snapshot.Resources.Count());
        foreach (var watcher in entry.Watchers)
        {
            watcher(snapshot);
        }
    }

    private Snapshot? Build(ProxyIdentity identity, out string? problem, out IReadOnlyList<string>? warnings)
    {
        warnings = null;
        var graph = _meshes.GetValueOrDefault(identity.Mesh);
        var exists = identity.Kind == ProxyKind.VirtualNode
            ? graph?.FindVirtualNode(identity.Name) is not null
            : graph?.FindVirtualGateway(identity.Name) is not null;
        if (graph is null || !exists)
        {
            problem = $"waiting for {identity.ShortForm} (account {identity.Mesh.AccountId}) to be created";
            return null;
        }

        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var resources = translator.Translate(graph, identity);
            problem = null;
            warnings = resources.Warnings;
            var snapshot = SnapshotBuilder.Build(resources, _interner.Intern);
            metrics.SnapshotBuild.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return snapshot;
        }
        catch (Exception e)
        {
            // A translator bug is treated like an invalid mesh: this proxy keeps its last good snapshot, and the
            // feed and every other proxy carry on.
            problem = e is TranslationException or InconsistentSnapshotException ? e.Message : $"translation failed: {e.GetType().Name}: {e.Message}";
            metrics.SnapshotRejected();
            LogRejected(identity.ToString(), problem);
            return null;
        }
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

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "New snapshot for {Proxy}: version {Version}, {Count} resources")]
    private partial void LogSnapshot(string proxy, string version, int count);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Configuration for {Proxy} rejected; the last good snapshot keeps serving: {Reason}")]
    private partial void LogRejected(string proxy, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Configuration for {Proxy} leaves something out: {Warning}")]
    private partial void LogWarning(string proxy, string warning);

    private sealed class Entry(ProxyIdentity identity)
    {
        public ProxyIdentity Identity { get; } = identity;

        public IReadOnlyList<string> Warnings { get; set; } = [];

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
