using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// Counters, gauges and histograms for the Prometheus text endpoint. Kept as plain interlocked numbers so that recording on
/// the hot path costs an atomic add and nothing else.
/// </summary>
public sealed class XdsMetrics
{
    private readonly ConcurrentDictionary<(string Name, string Labels), long> _counters = new();
    private readonly ConcurrentDictionary<string, Func<double>> _gauges = new();
    private readonly ConcurrentDictionary<string, string> _help = new();

    /// <summary>From a snapshot being built to the responses it caused being written to one stream.</summary>
    public LatencyHistogram PushLatency { get; } = new(
        "mesh_xds_push_latency_seconds",
        "Time from a new snapshot being built to the responses it caused being written to a stream (includes waiting behind a slow reader).");

    /// <summary>Each read of the change log or of a mesh from PostgreSQL.</summary>
    public LatencyHistogram DatabaseQuery { get; } = new(
        "mesh_xds_database_query_seconds",
        "Time of each change-log or mesh read from PostgreSQL (the feed polls even when nothing changes).");

    /// <summary>Translation plus serialisation of one proxy identity's snapshot.</summary>
    public LatencyHistogram SnapshotBuild { get; } = new(
        "mesh_xds_snapshot_build_seconds",
        "Time to translate a mesh for one proxy identity and serialise, intern and check its snapshot.");

    public void Increment(string name, string help, string labels = "", long by = 1)
    {
        _help.TryAdd(name, help);
        _counters.AddOrUpdate((name, labels), by, (_, v) => v + by);
    }

    public long Get(string name, string labels = "") => _counters.GetValueOrDefault((name, labels));

    public void Gauge(string name, string help, Func<double> read)
    {
        _help[name] = help;
        _gauges[name] = read;
    }

    private const string Responses = "mesh_xds_responses_total";
    private const string ResponsesHelp = "xDS responses sent.";
    private const string Acks = "mesh_xds_acks_total";
    private const string AcksHelp = "Responses a client accepted.";
    private const string Nacks = "mesh_xds_nacks_total";
    private const string NacksHelp = "Responses a client rejected (error_detail set).";
    private const string StaleRequests = "mesh_xds_stale_requests_total";
    private const string StaleRequestsHelp = "SotW requests ignored because their nonce was not the latest.";
    private const string StreamsOpened = "mesh_xds_streams_opened_total";
    private const string StreamsOpenedHelp = "xDS streams opened.";
    private const string StreamsRejected = "mesh_xds_streams_rejected_total";
    private const string StreamsRejectedHelp = "xDS streams closed because of a bad request.";
    private const string SnapshotsBuilt = "mesh_xds_snapshots_built_total";
    private const string SnapshotsBuiltHelp = "Snapshots built and swapped in.";
    private const string SnapshotsRejected = "mesh_xds_snapshots_rejected_total";
    private const string SnapshotsRejectedHelp = "Translations rejected (invalid or inconsistent); the last good snapshot kept serving.";
    private const string FeedChanges = "mesh_xds_feed_changes_total";
    private const string FeedChangesHelp = "Change-log rows applied.";
    private const string FeedErrors = "mesh_xds_feed_errors_total";
    private const string FeedErrorsHelp = "Change-feed failures (database unreachable, query failed).";
    private const string GraphsRejected = "mesh_xds_mesh_graphs_rejected_total";
    private const string GraphsRejectedHelp = "Mesh graphs that failed validation; the last good graph kept serving.";
    private const string TranslationWarnings = "mesh_xds_translation_warnings_total";
    private const string TranslationWarningsHelp =
        "Translation warnings raised (logged once per change per proxy identity): configuration left out, such as an unknown Cloud Map service.";

    /// <summary>
    /// Every counter exists from the start at zero, for each resource type and protocol variant it is counted by:
    /// an alert such as <c>increase(mesh_xds_nacks_total[5m]) &gt; 0</c> needs a series before the first NACK.
    /// </summary>
    public XdsMetrics()
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
            Increment(Nacks, NacksHelp, TypeLabel(type), by: 0);
            Increment(StaleRequests, StaleRequestsHelp, TypeLabel(type), by: 0);
        }

        foreach (var variant in variants)
        {
            Increment(StreamsOpened, StreamsOpenedHelp, VariantLabel(variant), by: 0);
        }

        // The reasons XdsSession rejects a stream for.
        foreach (var reason in new[] { "type_mismatch", "no_node", "bad_node_id" })
        {
            Increment(StreamsRejected, StreamsRejectedHelp, ReasonLabel(reason), by: 0);
        }

        Increment(SnapshotsBuilt, SnapshotsBuiltHelp, by: 0);
        Increment(SnapshotsRejected, SnapshotsRejectedHelp, by: 0);
        Increment(FeedChanges, FeedChangesHelp, by: 0);
        Increment(FeedErrors, FeedErrorsHelp, by: 0);
        Increment(GraphsRejected, GraphsRejectedHelp, by: 0);
        Increment(TranslationWarnings, TranslationWarningsHelp, by: 0);
    }

    public void ResponseSent(string type, string variant) => Increment(Responses, ResponsesHelp, TypeAndVariant(type, variant));

    public void Ack(string type) => Increment(Acks, AcksHelp, TypeLabel(type));

    public void TranslationWarning() => Increment(TranslationWarnings, TranslationWarningsHelp);

    public void Nack(string type) => Increment(Nacks, NacksHelp, TypeLabel(type));

    public void StaleNonce(string type) => Increment(StaleRequests, StaleRequestsHelp, TypeLabel(type));

    public void StreamOpened(string variant) => Increment(StreamsOpened, StreamsOpenedHelp, VariantLabel(variant));

    public void StreamRejected(string reason) => Increment(StreamsRejected, StreamsRejectedHelp, ReasonLabel(reason));

    public void SnapshotBuilt() => Increment(SnapshotsBuilt, SnapshotsBuiltHelp);

    public void SnapshotRejected() => Increment(SnapshotsRejected, SnapshotsRejectedHelp);

    public void FeedApplied(long count) => Increment(FeedChanges, FeedChangesHelp, by: count);

    public void FeedError() => Increment(FeedErrors, FeedErrorsHelp);

    public void MeshRejected() => Increment(GraphsRejected, GraphsRejectedHelp);

    private static string TypeLabel(string type) => $"type=\"{type}\"";

    private static string ReasonLabel(string reason) => $"reason=\"{reason}\"";

    private static string VariantLabel(string variant) => $"variant=\"{variant}\"";

    private static string TypeAndVariant(string type, string variant) => $"type=\"{type}\",variant=\"{variant}\"";

    /// <summary>Runs a database read and records how long it took, whether or not it succeeded.</summary>
    public async Task<T> QueryAsync<T>(Func<Task<T>> query)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await query();
        }
        finally
        {
            DatabaseQuery.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var group in _counters.GroupBy(c => c.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append("# HELP ").Append(group.Key).Append(' ').Append(_help.GetValueOrDefault(group.Key, "")).Append('\n');
            text.Append("# TYPE ").Append(group.Key).Append(" counter\n");
            foreach (var c in group.OrderBy(c => c.Key.Labels, StringComparer.Ordinal))
            {
                text.Append(group.Key);
                if (c.Key.Labels.Length > 0)
                {
                    text.Append('{').Append(c.Key.Labels).Append('}');
                }

                text.Append(' ').Append(c.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        DatabaseQuery.Render(text);
        PushLatency.Render(text);
        SnapshotBuild.Render(text);
        RuntimeMetrics.Render(text);

        foreach (var (name, read) in _gauges.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(_help.GetValueOrDefault(name, "")).Append('\n');
            text.Append("# TYPE ").Append(name).Append(" gauge\n");
            text.Append(name).Append(' ').Append(read().ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }
}
