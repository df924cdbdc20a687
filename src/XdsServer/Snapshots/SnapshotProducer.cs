using System.Diagnostics;
using System.Runtime.CompilerServices;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// Turns mesh graphs into snapshots for the <see cref="SnapshotCache"/>: holds the last good graph of every mesh,
/// and when one changes, translates, checks (<see cref="ResourceConsistency"/>) and builds the snapshot of each
/// watched identity of that mesh that the change can affect, in parallel across cores and without holding the
/// cache's lock. A slow
/// translation of one mesh therefore delays neither another mesh's streams nor a new stream's first response.
/// A snapshot that fails translation or its consistency check is logged and counted, and the previous one keeps
/// serving; a failure or problem of a part many identities share is logged once, not once per identity.
/// </summary>
public sealed partial class SnapshotProducer
{
    private readonly SnapshotCache _cache;
    private readonly IProxyTranslator _translator;
    private readonly XdsMetrics _metrics;
    private readonly ILogger<SnapshotProducer> _logger;
    private readonly ChangeTimelines? _timelines;
    private readonly FeedStatus? _feed;
    private readonly ResourceInterner _interner = new();
    private readonly Lock _meshesLock = new();
    private readonly Dictionary<MeshKey, MeshState> _meshes = [];

    // The translation failures logged, by exception object (see TranslationFailed); each is kept as long as it lives.
    private readonly ConditionalWeakTable<Exception, object?> _loggedFailures = new();
    private long _generation;

    /// <param name="timelines">Where each change's timeline goes (<see cref="ChangeTimeline"/>); null: none is recorded.</param>
    /// <param name="feed">
    /// The change feed's status: until its first load is done, an identity whose mesh has no graph yet waits for the
    /// load (<see cref="AwaitingFirstLoad"/>), not for its resource to be created. Null: meshes are handed over
    /// directly, and a mesh without a graph does not exist.
    /// </param>
    public SnapshotProducer(SnapshotCache cache, IProxyTranslator translator, XdsMetrics metrics, ILogger<SnapshotProducer> logger, ChangeTimelines? timelines = null, FeedStatus? feed = null)
    {
        _feed = feed;
        _cache = cache;
        _translator = translator;
        _metrics = metrics;
        _logger = logger;
        _timelines = timelines;
        cache.FirstWatch += identity => Produce(identity, Read(identity.Mesh));
    }

    /// <summary>
    /// The problem of an identity watched before the server's first load from PostgreSQL reached its mesh. It is one
    /// text for every identity, so that a stream can tell it from the others: at a restart every proxy reconnects
    /// before the load is done, and that wait is expected, where a resource that does not exist is not.
    /// </summary>
    public const string AwaitingFirstLoad = "waiting for the server's first load from PostgreSQL";

    public int InternedResources => _interner.Count;

    /// <summary>
    /// Called once the change feed's first load is done. Identities watched during the load whose mesh it did not
    /// load were told they wait for the load; they are built again, and now wait for their resource to be created.
    /// The generation moves first, so that a build which saw the load unfinished and is applied late is ignored.
    /// </summary>
    public void FirstLoadDone()
    {
        lock (_meshesLock)
        {
            _generation++;
        }

        foreach (var identity in _cache.Watched())
        {
            var state = Read(identity.Mesh);
            if (state.Graph is null)
            {
                Produce(identity, state);
            }
        }
    }

    /// <summary>The interner every build packs through (the tests read what it packed).</summary>
    internal ResourceInterner Interner => _interner;

    public MeshGraph? Mesh(MeshKey key) => Read(key).Graph;

    public IReadOnlyList<MeshKey> Meshes
    {
        get
        {
            lock (_meshesLock)
            {
                return [.. _meshes.Keys];
            }
        }
    }

    /// <summary>
    /// Replaces a mesh's graph (null: the mesh is gone) and pushes new snapshots to the proxies of that mesh whose
    /// configuration changed; returns when they have been handed to the cache. Only the watched identities whose
    /// configuration reads something that changed (<see cref="MeshGraphDiff"/>, <see cref="ProxyDependencies"/>)
    /// are translated again; every other keeps its snapshot object as it is. A graph equal to the current one
    /// changes nothing.
    /// </summary>
    public void SetMesh(MeshKey key, MeshGraph? graph)
    {
        var handed = Stopwatch.GetTimestamp();
        MeshGraph? previous;
        MeshGraphDiff diff;
        MeshState state;
        MeshState? replaced;
        while (true)
        {
            previous = Read(key).Graph;

            // Compared outside the lock: a first watch of another identity reads the graphs through it.
            diff = MeshGraphDiff.Between(previous, graph);
            lock (_meshesLock)
            {
                replaced = _meshes.GetValueOrDefault(key);
                if (!ReferenceEquals(replaced?.Graph, previous))
                {
                    continue; // Set by another call meanwhile: compare with that one.
                }

                if (diff.IsEmpty)
                {
                    return;
                }

                // Numbered across meshes, so that a build from an older graph never replaces one from a newer graph.
                state = new MeshState(graph, ++_generation);
                if (graph is null)
                {
                    _meshes.Remove(key);
                }
                else
                {
                    _meshes[key] = state;
                }
            }

            break;
        }

        // No build of the new graph joins the old graph's shared parts: what they saved is freed now.
        replaced?.SharedParts.Retire();
        if (previous is not null && graph is not null)
        {
            _translator.MeshChanged(previous, graph, diff);
        }

        var identities = _cache.WatchedIn(key);
        var timeline = _timelines is null ? null : new ChangeTimeline(key, state.Generation, handed, identities.Count);
        timeline?.Queued();
        var rebuilt = 0;
        Parallel.ForEach(identities, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (identity, _, index) =>
        {
            // An identity this change cannot affect already has the snapshot the new graph would give it (it was
            // built from the previous graph, or from an older one equal for it), so it is left alone.
            if (ProxyDependencies.Affected(diff, previous, graph, Target(identity)))
            {
                Interlocked.Increment(ref rebuilt);
                Produce(identity, state, timeline?.Start((int)index, identity));
            }
        });
        _metrics.MeshChangeApplied(rebuilt, identities.Count - rebuilt);
        if (timeline is not null && rebuilt > 0)
        {
            timeline.Skipped = identities.Count - rebuilt;
            timeline.Finished();
            _timelines!.Add(timeline);
        }

        LogChange(key.ToString(), rebuilt, identities.Count - rebuilt);
        if (rebuilt > 0)
        {
            _interner.Retain(_cache.Snapshots());
        }
    }

    private static ProxyTarget Target(ProxyIdentity identity) =>
        identity.Kind == ProxyKind.VirtualNode ? ProxyTarget.VirtualNode(identity.Name) : ProxyTarget.VirtualGateway(identity.Name);

    private MeshState Read(MeshKey key)
    {
        lock (_meshesLock)
        {
            return _meshes.GetValueOrDefault(key) ?? new MeshState(null, _generation);
        }
    }

    private void Produce(ProxyIdentity identity, MeshState state, IdentityTimeline? timeline = null)
    {
        var update = Build(identity, state);
        if (timeline is not null)
        {
            timeline.Built();

            // Set before the cache publishes it: the streams it is offered to mark their steps on it.
            if (update.Snapshot is { } built)
            {
                built.Timeline = timeline;
            }

            timeline.Publishing();
        }

        var result = _cache.Set(identity, update);
        timeline?.PublishedAs(Outcome(update, result), result.Offered);
        foreach (var warning in result.AddedWarnings)
        {
            // Logged and counted when they appear, not on every rebuild: a warning that stays is not news.
            _metrics.TranslationWarning(warning.Kind);
            LogWarning(identity.ToString(), warning.Kind.Label(), warning.Message);
        }

        foreach (var warning in result.AddedProxylessWarnings)
        {
            // Most identities are Envoys only: what gRPC alone would miss is information, not a warning about them.
            _metrics.ProxylessTranslationWarning(warning.Kind);
            LogProxylessWarning(identity.ToString(), warning.Kind.Label(), warning.Message);
        }

        if (result.SnapshotChanged && update.Snapshot is { } snapshot)
        {
            _metrics.SnapshotBuilt();
            LogSnapshot(identity.ToString(), snapshot.Version, snapshot.Resources.Count());
        }
        else if (result.SnapshotChanged && update.ResourceMissing)
        {
            LogDropped(identity.ToString());
        }
    }

    private static string Outcome(SnapshotUpdate update, SnapshotCache.SetResult result) =>
        !result.Applied ? "ignored"
        : update.ResourceMissing ? "missing"
        : update.Snapshot is null ? "rejected"
        : result.SnapshotChanged ? "offered"
        : "unchanged";

    private SnapshotUpdate Build(ProxyIdentity identity, MeshState state)
    {
        var graph = state.Graph;
        var exists = identity.Kind == ProxyKind.VirtualNode
            ? graph?.FindVirtualNode(identity.Name) is not null
            : graph?.FindVirtualGateway(identity.Name) is not null;
        if (graph is null && _feed is { Ready: false })
        {
            return SnapshotUpdate.Missing(state.Generation, AwaitingFirstLoad);
        }

        if (graph is null || !exists)
        {
            // No snapshot at all, not the last one: what an identity is served depends on the graph only, so that
            // every replica, whichever graphs it loaded before, serves what a replica started now would.
            return SnapshotUpdate.Missing(state.Generation, $"waiting for {identity.ShortForm} (account {identity.Mesh.AccountId}) to be created");
        }

        ProxyResources resources;
        var started = Stopwatch.GetTimestamp();
        try
        {
            resources = _translator.TranslateProxy(graph, Target(identity));
        }
        catch (Exception e)
        {
            // A translator bug is treated like an invalid mesh: this proxy keeps its last good snapshot, and the
            // feed and every other proxy carry on.
            return TranslationFailed(identity, state, e);
        }

        // A broken reference would make Envoy reject the update or wait for a resource that never comes.
        if (ResourceConsistency.Check(resources) is { Count: > 0 } problems)
        {
            return Inconsistent(identity, state, resources, problems);
        }

        var snapshot = SnapshotBuilder.Build(resources, _interner, state.SharedParts);
        _metrics.SnapshotBuild.Record(Stopwatch.GetElapsedTime(started));
        return new SnapshotUpdate(state.Generation, snapshot, null, resources.Warnings) { ProxylessWarnings = resources.ProxylessWarnings };
    }

    /// <summary>
    /// Rejects an identity whose translation fails the consistency check. When the problem lies in the part every
    /// identity of a routing shares, each of them is rejected by it: logged per identity, one broken mesh was hundreds
    /// of identical error lines per change (and one more per identity connecting later). So a shared part's problem is
    /// logged once per graph, by the first identity it rejects (<see cref="SharedPartProblems"/> says what counts as
    /// the same problem, and why an identity's own problems are still logged for each); every identity is still
    /// counted (mesh_xds_snapshots_rejected_total) and shows its own problems in proxy status.
    /// </summary>
    private SnapshotUpdate Inconsistent(ProxyIdentity identity, MeshState state, ProxyResources resources, IReadOnlyList<string> problems)
    {
        var problem = "The snapshot is inconsistent: " + string.Join("; ", problems);
        _metrics.SnapshotRejected();
        switch (state.SharedProblems.Record(resources, problems))
        {
            case RejectionLogging.Own:
                LogRejected(identity.ToString(), problem);
                break;
            case RejectionLogging.WithSharedPart:
                LogRejectedWithSharedPart(identity.ToString(), problem);
                break;
            default:
                LogRejectedBySharedPartAgain(identity.ToString(), problem);
                break;
        }

        return new SnapshotUpdate(state.Generation, null, problem, resources.Warnings) { ProxylessWarnings = resources.ProxylessWarnings };
    }

    /// <summary>
    /// Rejects an identity whose translation threw. What every identity of a routing shares is built once per graph
    /// (the translator's <c>BuiltOnce</c>), and when that build throws, every identity that needs it is thrown the
    /// same exception object for as long as the graph lives: logged per identity, one failure was hundreds of
    /// identical error lines per change (and one more per identity connecting later). So a failure is logged once,
    /// with its stack, by the first identity it rejects; every identity it rejects is still counted
    /// (mesh_xds_snapshots_rejected_total) and shows it in proxy status.
    /// </summary>
    private SnapshotUpdate TranslationFailed(ProxyIdentity identity, MeshState state, Exception failure)
    {
        var problem = $"translation failed: {failure.GetType().Name}: {failure.Message}";
        _metrics.SnapshotRejected();
        if (_loggedFailures.TryAdd(failure, null))
        {
            LogTranslationFailed(identity.ToString(), problem, failure);
        }
        else
        {
            LogTranslationFailedAgain(identity.ToString(), problem);
        }

        return new SnapshotUpdate(state.Generation, null, problem, null);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "New snapshot for {Proxy}: version {Version}, {Count} resources")]
    private partial void LogSnapshot(string proxy, string version, int count);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Configuration for {Proxy} rejected; the last good snapshot keeps serving: {Reason}")]
    private partial void LogRejected(string proxy, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Mesh {Mesh} changed: {Rebuilt} watched identities rebuilt, {Skipped} not affected")]
    private partial void LogChange(string mesh, int rebuilt, int skipped);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Snapshot for {Proxy} dropped: its resource is gone; connected proxies keep what they run, new ones wait")]
    private partial void LogDropped(string proxy);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Configuration for {Proxy} leaves something out ({Kind}): {Warning}")]
    private partial void LogWarning(string proxy, string kind, string warning);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "Configuration for {Proxy}'s proxyless gRPC clients and servers leaves something out ({Kind}; what its Envoy misses is warned about on its own): {Warning}")]
    private partial void LogProxylessWarning(string proxy, string kind, string warning);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Configuration for {Proxy} rejected; the last good snapshot keeps serving: {Reason} (logged once per failure: every other proxy it rejects shows it in proxy status and is counted in mesh_xds_snapshots_rejected_total)")]
    private partial void LogTranslationFailed(string proxy, string reason, Exception exception);

    [LoggerMessage(EventId = 106, Level = LogLevel.Debug, Message = "Configuration for {Proxy} rejected by a translation failure logged before; the last good snapshot keeps serving: {Reason}")]
    private partial void LogTranslationFailedAgain(string proxy, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "Configuration for {Proxy} rejected; the last good snapshot keeps serving: {Reason} (a problem of the part its routing shares is logged once per mesh change, by the first proxy it rejects: every other proxy it rejects shows it in proxy status and is counted in mesh_xds_snapshots_rejected_total)")]
    private partial void LogRejectedWithSharedPart(string proxy, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Debug, Message = "Configuration for {Proxy} rejected by problems of the part its routing shares, logged before; the last good snapshot keeps serving: {Reason}")]
    private partial void LogRejectedBySharedPartAgain(string proxy, string reason);

    /// <summary>
    /// A mesh's graph, the number of the change that set it, the shared parts its builds packed (retired when
    /// a change replaces the graph), and the problems of shared parts logged for it (dropped with it).
    /// </summary>
    private sealed record MeshState(MeshGraph? Graph, long Generation)
    {
        private SharedPartProblems? _sharedProblems;

        public SharedPartLifetime SharedParts { get; } = new();

        /// <summary>Made at the graph's first rejection: most graphs have none.</summary>
        public SharedPartProblems SharedProblems => LazyInitializer.EnsureInitialized(ref _sharedProblems, static () => new SharedPartProblems());
    }
}
