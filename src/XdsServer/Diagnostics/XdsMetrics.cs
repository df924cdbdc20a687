using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mesh.Translation;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// The xDS server's instruments on a <see cref="System.Diagnostics.Metrics.Meter"/>, exported at <c>GET /metrics</c> by the
/// OpenTelemetry Prometheus exporter (<see cref="Hosting.XdsTelemetry"/>). The names are the Prometheus names
/// dashboards already use: a counter is created without its <c>_total</c>, which the exporter appends.
/// </summary>
public sealed class XdsMetrics : IDisposable
{
    public const string MeterName = "Mesh.XdsServer";

    private const string TotalSuffix = "_total";

    private readonly ConcurrentDictionary<string, ObservableCounter<long>> _counters = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly ConcurrentDictionary<string, ObservableGauge<double>> _gauges = new();
    private readonly ConcurrentDictionary<string, Func<double>> _gaugeReads = new();
    private readonly ConcurrentDictionary<string, ObservableCounter<long>> _readCounters = new();
    private readonly ConcurrentDictionary<string, Func<long>> _counterReads = new();
    private readonly ConcurrentDictionary<string, Func<IEnumerable<(string Labels, double Value)>>> _labelledGaugeReads = new();

    /// <summary>A meter of its own, read by no host: for code that counts but is not hosted (tests, benchmarks).</summary>
    public XdsMetrics()
        : this(scope: null)
    {
    }

    /// <summary>
    /// <paramref name="scope"/> marks this server's meter, so that the host's exporter reads only it when several
    /// servers share a process, as in tests (<see cref="Hosting.XdsTelemetry"/>).
    /// </summary>
    public XdsMetrics(object? scope)
    {
        Meter = new Meter(new MeterOptions(MeterName) { Scope = scope });
        PushLatency = new DurationHistogram(Meter, "mesh_xds_push_latency_seconds",
            "Time from a new snapshot being built to the responses it caused being written to a stream (includes waiting behind a slow reader).");
        DatabaseQuery = new DurationHistogram(Meter, "mesh_xds_database_query_seconds",
            "Time of each change-log or mesh read from PostgreSQL (the feed polls even when nothing changes).");
        SnapshotBuild = new DurationHistogram(Meter, "mesh_xds_snapshot_build_seconds",
            "Time to translate a mesh for one proxy identity and serialise, intern and check its snapshot.");
        SeedZeros();
    }

    public Meter Meter { get; }

    /// <summary>From a snapshot being built to the responses it caused being written to one stream.</summary>
    public DurationHistogram PushLatency { get; }

    /// <summary>Each read of the change log or of a mesh from PostgreSQL.</summary>
    public DurationHistogram DatabaseQuery { get; }

    /// <summary>Translation plus serialisation of one proxy identity's snapshot.</summary>
    public DurationHistogram SnapshotBuild { get; }

    /// <summary>
    /// Adds to a counter. <paramref name="name"/> is its Prometheus name (ending in <c>_total</c>), <paramref name="labels"/>
    /// the Prometheus label set, e.g. <c>type="lds",variant="sotw"</c>.
    /// </summary>
    public void Increment(string name, string help, string labels = "", long by = 1)
    {
        // Every response and ACK of every stream counts here: the series (its tags and total) is looked up without a
        // lock once it exists, and the total is added to atomically; nothing else happens until a scrape reads the
        // totals (the counters are observable). A Counter<long>.Add per call, as before, also made the meter
        // provider find the series' aggregator from its tags (hashing and comparing them) on every response and
        // ACK, several times per stream at connect and per change (docs/benchmarks.md, issue13aj). The series is made
        // in a method of its own: a lambda here that captured `help` made C# allocate its closure and delegate on
        // entry, on every call, found or not.
        if (!_series.TryGetValue((name, labels), out var series))
        {
            series = AddSeries(name, help, labels);
        }

        Interlocked.Add(ref series.Total, by);
    }

    private Series AddSeries(string name, string help, string labels)
    {
        var series = _series.GetOrAdd((name, labels), key => new Series(Tags(key.Labels)));
        _counters.GetOrAdd(name, n => Meter.CreateObservableCounter(
            n.EndsWith(TotalSuffix, StringComparison.Ordinal) ? n[..^TotalSuffix.Length] : n,
            () => Observe(n),
            description: help));
        return series;
    }

    /// <summary>A counter's series as a scrape reads them: each label set's total so far.</summary>
    private IEnumerable<Measurement<long>> Observe(string name)
    {
        foreach (var ((seriesName, _), series) in _series)
        {
            if (seriesName == name)
            {
                yield return new Measurement<long>(Interlocked.Read(ref series.Total), series.Tags);
            }
        }
    }

    /// <summary>What a counter has counted in this process, for the server's tests and diagnostics.</summary>
    public long Get(string name, string labels = "") =>
        _series.TryGetValue((name, labels), out var series) ? Interlocked.Read(ref series.Total) : 0;

    /// <summary>What a counter has counted in this process over all its label sets, for the server's tests and diagnostics.</summary>
    public long Sum(string name)
    {
        long total = 0;
        foreach (var ((seriesName, _), series) in _series)
        {
            if (seriesName == name)
            {
                total += Interlocked.Read(ref series.Total);
            }
        }

        return total;
    }

    /// <summary>xDS responses written since the start, all types and variants (the idle trim's sign of a change in flight; read once a second).</summary>
    public long ResponsesSent()
    {
        long total = 0;
        foreach (var ((name, _), series) in _series)
        {
            if (name == Responses)
            {
                total += Interlocked.Read(ref series.Total);
            }
        }

        return total;
    }

    /// <summary>One counter with one label set.</summary>
    private sealed class Series(KeyValuePair<string, object?>[] tags)
    {
        public long Total;

        public KeyValuePair<string, object?>[] Tags { get; } = tags;
    }

    /// <summary>A gauge read at each scrape; registering a name again replaces how it is read.</summary>
    public void Gauge(string name, string help, Func<double> read)
    {
        _gaugeReads[name] = read;
        _gauges.GetOrAdd(name, n => Meter.CreateObservableGauge(n, () => _gaugeReads[n](), description: help));
    }

    /// <summary>
    /// A count kept elsewhere, read at each scrape and exported as a counter: <paramref name="name"/> is its Prometheus
    /// name, ending in <c>_total</c> (a gauge of that name is a lint error, and <c>rate()</c> needs a counter to see
    /// resets). Registering a name again replaces how it is read.
    /// </summary>
    public void Counter(string name, string help, Func<long> read)
    {
        _counterReads[name] = read;
        _readCounters.GetOrAdd(name, n => Meter.CreateObservableCounter(
            n.EndsWith(TotalSuffix, StringComparison.Ordinal) ? n[..^TotalSuffix.Length] : n,
            () => _counterReads[n](),
            description: help));
    }

    private const string Responses = "mesh_xds_responses_total";
    private const string ResponsesHelp = "xDS responses sent.";
    private const string DeltaChangesShared = "mesh_xds_delta_changes_shared_total";
    private const string DeltaChangesSharedHelp =
        "Delta stream updates (one type, one snapshot change) taken as another stream of the same proxy identity worked them out and encoded them, instead of diffed and encoded again.";
    private const string DeltaFirstResponsesShared = "mesh_xds_delta_first_responses_shared_total";
    private const string DeltaFirstResponsesSharedHelp =
        "Delta first responses (one type, to a stream that held nothing of it) written as another stream of the same proxy identity that subscribed alike worked them out and encoded them.";
    private const string Acks = "mesh_xds_acks_total";
    private const string AcksHelp = "Responses a client accepted.";
    private const string Nacks = "mesh_xds_nacks_total";
    private const string NacksHelp = "Responses a client rejected (error_detail set).";
    private const string MissingResourcesRequested = "mesh_xds_missing_resources_requested_total";
    private const string MissingRequestedHelp =
        "Names a client asked for that its proxy's configuration does not have (each counted once per stream while it stays missing; proxy status lists them as missing): a proxyless client dialling a service that is none of its node's backends, or an Envoy naming one it never held. A resource a push removes while the client still names it is not counted.";
    private const string StaleRequests = "mesh_xds_stale_requests_total";
    private const string StaleRequestsHelp = "Requests whose ACK or NACK was ignored: SotW, a nonce not the latest (the whole request is ignored); delta, a nonce of no response awaiting an answer (its subscription changes still count).";
    private const string StreamsOpened = "mesh_xds_streams_opened_total";
    private const string StreamsOpenedHelp = "xDS streams opened, by the service they came on (variant ads, ads-delta, lds, lds-delta, ...).";
    /// <summary>Streams that arrived before the first load from PostgreSQL (read for the feed's "loaded" line).</summary>
    public const string StreamsWaitedForFirstLoad = "mesh_xds_streams_waited_for_first_load_total";
    private const string StreamsWaitedForFirstLoadHelp = "xDS streams that arrived before the server's first load from PostgreSQL was done and waited for it (each logged at Debug only: at a restart every proxy does).";
    private const string StreamsRejected = "mesh_xds_streams_rejected_total";
    private const string StreamsRejectedHelp = "xDS streams closed because of a bad request.";
    private const string UnsupportedTypeRequests = "mesh_xds_unsupported_type_requests_total";
    private const string UnsupportedTypeRequestsHelp = "xDS requests for a resource type this server does not serve (ignored; the stream serves the others).";
    private const string SnapshotsBuilt = "mesh_xds_snapshots_built_total";
    private const string SnapshotsBuiltHelp = "Snapshots built and swapped in.";
    private const string IdentitiesRebuilt = "mesh_xds_identities_rebuilt_total";
    private const string IdentitiesRebuiltHelp = "Watched proxy identities re-translated because a change to their mesh touched something their configuration reads.";
    private const string IdentitiesSkipped = "mesh_xds_identities_skipped_total";
    private const string IdentitiesSkippedHelp = "Watched proxy identities of a changed mesh left as they were: nothing their configuration reads changed.";
    private const string SnapshotsRejected = "mesh_xds_snapshots_rejected_total";
    private const string SnapshotsRejectedHelp = "Translations rejected (invalid or inconsistent); the last good snapshot kept serving.";
    private const string FeedChanges = "mesh_xds_feed_changes_total";
    private const string FeedChangesHelp = "Change-log rows applied.";
    private const string FeedErrors = "mesh_xds_feed_errors_total";
    private const string FeedErrorsHelp = "Change-feed failures (database unreachable, query failed).";
    private const string FeedResyncs = "mesh_xds_feed_resyncs_total";
    private const string FeedResyncsHelp = "Times the change feed read every mesh again because it could not know which changes it missed: reason pruned, change-log rows it had not read were pruned (Mesh:Retention:ChangeLog); reason untracked_jump, the log jumped past more numbers than it tracks.";

    /// <summary>Why the change feed read every mesh again (<see cref="FeedResynced"/>).</summary>
    public static class ResyncReasons
    {
        public const string Pruned = "pruned";
        public const string UntrackedJump = "untracked_jump";

        public static readonly IReadOnlyList<string> All = [Pruned, UntrackedJump];
    }
    private const string MeshLoads = "mesh_xds_mesh_loads_total";
    private const string MeshLoadsHelp = "Mesh reads from PostgreSQL (each change-feed catch-up reads each changed mesh once, however many writes it saw).";
    private const string MeshLoadsDeferred = "mesh_xds_mesh_loads_deferred_total";
    private const string MeshLoadsDeferredHelp = "Changed meshes no proxy watched whose read a catch-up left for later (Xds:Feed:UnwatchedDelay): loaded when due or watched, with every change made meanwhile.";
    private const string MeshRows = "mesh_xds_mesh_rows_total";
    private const string MeshRowsHelp = "Rows of the meshes read (each mesh read counts all its live rows).";
    private const string MeshRowsInFull = "mesh_xds_mesh_rows_read_in_full_total";
    private const string MeshRowsInFullHelp = "Of mesh_xds_mesh_rows_total, the rows whose spec was read from PostgreSQL (the others were unchanged since the last read, and reused).";
    private const string MeshReadsIncremental = "mesh_xds_mesh_reads_incremental_total";
    private const string MeshReadsIncrementalHelp = "Mesh reads that read only the rows the change log named since the mesh's last read, in the log's snapshot (O(changes)).";
    private const string MeshReadsFull = "mesh_xds_mesh_reads_full_total";
    private const string MeshReadsFullHelp =
        "Mesh reads that read every row (reason=first: its first read; no_log: incremental reads off; gap: a gap in the change log was given up; failed: after a failed catch-up or read; schema: after a migration).";
    private const string MeshLoadsSuperseded = "mesh_xds_mesh_loads_superseded_total";
    private const string MeshLoadsSupersededHelp = "Mesh reads dropped because a later read of the same mesh was applied first.";
    private const string GraphsRejected = "mesh_xds_mesh_graphs_rejected_total";
    private const string GraphsRejectedHelp = "Mesh graphs that failed validation; the last good graph kept serving.";
    private const string TranslationWarnings = "mesh_xds_translation_warnings_total";
    private const string TranslationWarningsHelp =
        "Translation warnings raised (logged once per change per proxy identity): configuration left out, such as an unknown Cloud Map service; kind says which kind of problem.";
    private const string ProxylessTranslationWarnings = "mesh_xds_proxyless_translation_warnings_total";
    private const string ProxylessTranslationWarningsHelp =
        "Translation warnings that only the identity's proxyless gRPC clients and servers are affected by (logged once per change per proxy identity), such as a client policy gRPC cannot take; kind says which kind of problem.";

    /// <summary>The services a stream is opened on, as its <c>variant</c> label names them: ADS and each type, SotW and delta.</summary>
    public static readonly IReadOnlyList<string> StreamVariants =
        new[] { "ads", "lds", "rds", "cds", "eds", "sds" }.SelectMany(s => new[] { s, s + "-delta" }).ToArray();

    /// <summary>
    /// Every counter exists from the start at zero, for each resource type and protocol variant it is counted by:
    /// an alert such as <c>increase(mesh_xds_nacks_total[5m]) &gt; 0</c> needs a series before the first NACK.
    /// </summary>
    private void SeedZeros()
    {
        string[] types = ["lds", "rds", "cds", "eds", "sds"];
        string[] variants = ["sotw", "delta"];
        foreach (var type in types)
        {
            foreach (var variant in variants)
            {
                Increment(Responses, ResponsesHelp, TypeAndVariant(type, variant), by: 0);
            }

            Increment(Acks, AcksHelp, TypeLabel(type), by: 0);
            Increment(DeltaChangesShared, DeltaChangesSharedHelp, TypeLabel(type), by: 0);
            Increment(DeltaFirstResponsesShared, DeltaFirstResponsesSharedHelp, TypeLabel(type), by: 0);
            Increment(Nacks, NacksHelp, TypeLabel(type), by: 0);
            Increment(StaleRequests, StaleRequestsHelp, TypeLabel(type), by: 0);
            Increment(MissingResourcesRequested, MissingRequestedHelp, TypeLabel(type), by: 0);
        }

        // A stream's variant is the service it came on (XdsStreams' callers), not sotw/delta as a response's is.
        foreach (var variant in StreamVariants)
        {
            Increment(StreamsOpened, StreamsOpenedHelp, VariantLabel(variant), by: 0);
        }

        Increment(StreamsWaitedForFirstLoad, StreamsWaitedForFirstLoadHelp, by: 0);

        // The reasons a stream is rejected for: XdsSession's, and the request marshaller's (NodeSlicingMethodProvider).
        foreach (var reason in new[] { "type_mismatch", "no_node", "bad_node_id", "node_id_changed", "no_type_url", "malformed_request" })
        {
            Increment(StreamsRejected, StreamsRejectedHelp, ReasonLabel(reason), by: 0);
        }

        Increment(UnsupportedTypeRequests, UnsupportedTypeRequestsHelp, by: 0);

        Increment(SnapshotsBuilt, SnapshotsBuiltHelp, by: 0);
        Increment(SnapshotsRejected, SnapshotsRejectedHelp, by: 0);
        Increment(IdentitiesRebuilt, IdentitiesRebuiltHelp, by: 0);
        Increment(IdentitiesSkipped, IdentitiesSkippedHelp, by: 0);
        Increment(FeedChanges, FeedChangesHelp, by: 0);
        Increment(FeedErrors, FeedErrorsHelp, by: 0);
        foreach (var reason in ResyncReasons.All)
        {
            Increment(FeedResyncs, FeedResyncsHelp, ReasonLabel(reason), by: 0);
        }

        Increment(GraphsRejected, GraphsRejectedHelp, by: 0);
        Increment(MeshLoads, MeshLoadsHelp, by: 0);
        Increment(MeshLoadsDeferred, MeshLoadsDeferredHelp, by: 0);
        Increment(MeshRows, MeshRowsHelp, by: 0);
        Increment(MeshRowsInFull, MeshRowsInFullHelp, by: 0);
        Increment(MeshLoadsSuperseded, MeshLoadsSupersededHelp, by: 0);
        Increment(MeshReadsIncremental, MeshReadsIncrementalHelp, by: 0);
        foreach (var reason in Feed.MeshRowReader.FullReasons.All)
        {
            Increment(MeshReadsFull, MeshReadsFullHelp, ReasonLabel(reason), by: 0);
        }
        foreach (var kind in WarningKinds.All)
        {
            Increment(TranslationWarnings, TranslationWarningsHelp, KindLabel(kind), by: 0);
            Increment(ProxylessTranslationWarnings, ProxylessTranslationWarningsHelp, KindLabel(kind), by: 0);
        }
    }

    public void ResponseSent(string type, string variant) => Increment(Responses, ResponsesHelp, TypeAndVariant(type, variant));

    public void DeltaChangeShared(string type) => Increment(DeltaChangesShared, DeltaChangesSharedHelp, TypeLabel(type));

    public void DeltaFirstResponseShared(string type) => Increment(DeltaFirstResponsesShared, DeltaFirstResponsesSharedHelp, TypeLabel(type));

    public void Ack(string type) => Increment(Acks, AcksHelp, TypeLabel(type));

    public void TranslationWarning(WarningKind kind) => Increment(TranslationWarnings, TranslationWarningsHelp, KindLabel(kind));

    public void ProxylessTranslationWarning(WarningKind kind) => Increment(ProxylessTranslationWarnings, ProxylessTranslationWarningsHelp, KindLabel(kind));

    public void Nack(string type) => Increment(Nacks, NacksHelp, TypeLabel(type));

    public void StaleNonce(string type) => Increment(StaleRequests, StaleRequestsHelp, TypeLabel(type));

    public void MissingRequested(string type) => Increment(MissingResourcesRequested, MissingRequestedHelp, TypeLabel(type));

    public void StreamOpened(string variant) => Increment(StreamsOpened, StreamsOpenedHelp, VariantLabel(variant));

    public void StreamWaitedForFirstLoad() => Increment(StreamsWaitedForFirstLoad, StreamsWaitedForFirstLoadHelp);

    public void StreamRejected(string reason) => Increment(StreamsRejected, StreamsRejectedHelp, ReasonLabel(reason));

    /// <summary>
    /// A request for a type the server does not serve. Not labelled by the type: the client chooses it, and every type
    /// URL it made up would be a series; proxy status names the types each stream asked for.
    /// </summary>
    public void UnsupportedTypeRequested() => Increment(UnsupportedTypeRequests, UnsupportedTypeRequestsHelp);

    public void SnapshotBuilt() => Increment(SnapshotsBuilt, SnapshotsBuiltHelp);

    /// <summary>What one change to a mesh cost: identities re-translated, and identities it could not affect.</summary>
    public void MeshChangeApplied(int rebuilt, int skipped)
    {
        Increment(IdentitiesRebuilt, IdentitiesRebuiltHelp, by: rebuilt);
        Increment(IdentitiesSkipped, IdentitiesSkippedHelp, by: skipped);
    }

    public void SnapshotRejected() => Increment(SnapshotsRejected, SnapshotsRejectedHelp);

    public void FeedApplied(long count) => Increment(FeedChanges, FeedChangesHelp, by: count);

    public void FeedError() => Increment(FeedErrors, FeedErrorsHelp);

    public void FeedResynced(string reason) => Increment(FeedResyncs, FeedResyncsHelp, ReasonLabel(reason));

    public void MeshLoaded() => Increment(MeshLoads, MeshLoadsHelp);

    public void MeshLoadsDeferredBy(int count) => Increment(MeshLoadsDeferred, MeshLoadsDeferredHelp, by: count);

    /// <summary>What one mesh read transferred: all its rows, of which these in full.</summary>
    public void MeshRowsRead(int rows, int readInFull)
    {
        Increment(MeshRows, MeshRowsHelp, by: rows);
        Increment(MeshRowsInFull, MeshRowsInFullHelp, by: readInFull);
    }

    /// <summary>One mesh read: incremental (<paramref name="fullReason"/> null) or full, and why.</summary>
    public void MeshRead(string? fullReason)
    {
        if (fullReason is null)
        {
            Increment(MeshReadsIncremental, MeshReadsIncrementalHelp);
        }
        else
        {
            Increment(MeshReadsFull, MeshReadsFullHelp, ReasonLabel(fullReason));
        }
    }

    public void MeshLoadSuperseded() => Increment(MeshLoadsSuperseded, MeshLoadsSupersededHelp);

    public void MeshRejected() => Increment(GraphsRejected, GraphsRejectedHelp);

    /// <summary>Runs a database read and records how long it took, whether or not it succeeded.</summary>
    public async Task<T> QueryAsync<T>(Func<Task<T>> query)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await query();
        }
        finally
        {
            DatabaseQuery.Record(Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// A gauge with a series per label set, read at each scrape: <paramref name="read"/> gives each label set
    /// (<c>kind="no_route"</c>) and its value. Registering a name again replaces how it is read.
    /// </summary>
    public void Gauge(string name, string help, Func<IEnumerable<(string Labels, double Value)>> read)
    {
        _labelledGaugeReads[name] = read;
        _gauges.GetOrAdd(name, n => Meter.CreateObservableGauge(
            n,
            () => _labelledGaugeReads[n]().Select(s => new Measurement<double>(s.Value, Tags(s.Labels))),
            description: help));
    }

    public void Dispose() => Meter.Dispose();

    // The label sets of the per-stream counters (a response, an ACK, a shared delta change: several per stream per
    // change), made once per type and variant instead of a new string on every call.
    private static readonly ConcurrentDictionary<string, string> TypeLabels = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string Type, string Variant), string> TypeAndVariantLabels = new();

    private static string TypeLabel(string type) => TypeLabels.GetOrAdd(type, static t => $"type=\"{t}\"");

    private static string ReasonLabel(string reason) => $"reason=\"{reason}\"";

    /// <summary>The <c>kind</c> label of a translation warning's series (the set of kinds is fixed, so are the series).</summary>
    public static string KindLabel(WarningKind kind) => $"kind=\"{kind.Label()}\"";

    private static string VariantLabel(string variant) => $"variant=\"{variant}\"";

    private static string TypeAndVariant(string type, string variant) =>
        TypeAndVariantLabels.GetOrAdd((type, variant), static k => $"type=\"{k.Type}\",variant=\"{k.Variant}\"");

    /// <summary>The tags of a Prometheus label set written <c>a="x",b="y"</c> (values hold no quotes or commas).</summary>
    private static KeyValuePair<string, object?>[] Tags(string labels) =>
        labels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                return new KeyValuePair<string, object?>(pair[..equals], pair[(equals + 1)..].Trim('"'));
            })
            .ToArray();
}
