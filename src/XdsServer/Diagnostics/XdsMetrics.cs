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

    public void ResponseSent(string type, string variant) =>
        Increment("mesh_xds_responses_total", "xDS responses sent.", $"type=\"{type}\",variant=\"{variant}\"");

    public void Ack(string type) => Increment("mesh_xds_acks_total", "Responses a client accepted.", $"type=\"{type}\"");

    public void Nack(string type) => Increment("mesh_xds_nacks_total", "Responses a client rejected (error_detail set).", $"type=\"{type}\"");

    public void StaleNonce(string type) => Increment("mesh_xds_stale_requests_total", "SotW requests ignored because their nonce was not the latest.", $"type=\"{type}\"");

    public void StreamOpened(string variant) => Increment("mesh_xds_streams_opened_total", "xDS streams opened.", $"variant=\"{variant}\"");

    public void StreamRejected(string reason) => Increment("mesh_xds_streams_rejected_total", "xDS streams closed because of a bad request.", $"reason=\"{reason}\"");

    public void SnapshotBuilt() => Increment("mesh_xds_snapshots_built_total", "Snapshots built and swapped in.");

    public void TranslationWarning() => Increment("mesh_xds_translation_warnings_total", "Translation warnings raised (logged once per change per proxy identity): configuration left out, such as an unknown Cloud Map service.");

    public void SnapshotRejected() => Increment("mesh_xds_snapshots_rejected_total", "Translations rejected (invalid or inconsistent); the last good snapshot kept serving.");

    public void FeedApplied(long count) => Increment("mesh_xds_feed_changes_total", "Change-log rows applied.", by: count);

    public void FeedError() => Increment("mesh_xds_feed_errors_total", "Change-feed failures (database unreachable, query failed).");

    public void MeshRejected() => Increment("mesh_xds_mesh_graphs_rejected_total", "Mesh graphs that failed validation; the last good graph kept serving.");

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

        foreach (var (name, read) in _gauges.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(_help.GetValueOrDefault(name, "")).Append('\n');
            text.Append("# TYPE ").Append(name).Append(" gauge\n");
            text.Append(name).Append(' ').Append(read().ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }
}
