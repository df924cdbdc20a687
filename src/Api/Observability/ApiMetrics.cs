using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Api.Observability;

/// <summary>
/// The API's own instruments: calls, errors and latency per App Mesh operation. Exported with
/// everything else OpenTelemetry collects (HTTP server, Npgsql database latency) at GET /metrics.
/// </summary>
public sealed class ApiMetrics : IDisposable
{
    public const string MeterName = "Mesh.Api";
    public const string ActivitySourceName = "Mesh.Api";

    public static readonly ActivitySource Activities = new(ActivitySourceName);

    /// <summary>Upper bounds in seconds of <c>mesh_api_call_duration_seconds</c>: from a cached read (well under a
    /// millisecond) to a write held at its deadline.</summary>
    public static readonly IReadOnlyList<double> CallDurationBounds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter meter;
    private readonly Counter<long> calls;
    private readonly Histogram<double> duration;
    private readonly Counter<long> auditDropped;
    private readonly Counter<long> writeRetries;
    private readonly Counter<long> writesAbandoned;
    private readonly Counter<long> writeCancelsSkipped;
    private readonly Counter<long> readsAbandoned;
    private readonly Counter<long> proxyStatusUnreachable;
    private readonly Counter<long> changeNotifyFailed;
    private readonly Counter<long> readBarriersFailed;
    private readonly Counter<long> readCacheGapsGivenUp;
    private readonly Counter<long> readCacheMigrations;
    private readonly Counter<long> readCachePrunedUnread;
    private readonly Counter<long> readCacheDescribes;
    private readonly Counter<long> readBarrierStatements;
    private readonly Counter<long> retentionPrunedRows;
    private readonly Counter<long> retentionFailures;

    /// <summary>The operation label of a call that names no operation of the model (an unbound path, an unknown target).</summary>
    public const string UnknownOperation = "UnknownOperation";

    public ApiMetrics(IMeterFactory meters)
        : this(meters, MeterName)
    {
    }

    /// <summary>
    /// Under a meter name of the caller's: for a test's own instance, which a test host's exporter (listening to every
    /// meter named <see cref="MeterName"/> in the process) must not pick up. When such an instance was disposed, the
    /// exporter ended the host's instruments of the same names with it, and its counters left <c>/metrics</c>.
    /// </summary>
    internal ApiMetrics(IMeterFactory meters, string meterName)
    {
        meter = meters.Create(meterName);
        calls = meter.CreateCounter<long>("mesh.api.calls", unit: "{call}", description: "App Mesh API calls by operation and outcome.");
        // Bounds in seconds: without advice OpenTelemetry's default bounds (5 … 10,000, meant for milliseconds) put
        // nearly every call in the first bucket and its quantiles say nothing.
        duration = meter.CreateHistogram("mesh.api.call.duration", unit: "s", description: "App Mesh API call latency by operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CallDurationBounds });
        auditDropped = meter.CreateCounter<long>("mesh.api.audit.records.dropped", unit: "{record}",
            description: "Audit records lost, each logged: of calls that changed nothing, dropped from a full queue (the database stayed away longer than it holds; event 20), refused by the database (event 25) or still queued at shutdown (event 22); and a committed write's record that could not be amended after its caller was answered (event 23).");
        writeRetries = meter.CreateCounter<long>("mesh.api.write.retries", unit: "{retry}",
            description: "Writes run again after a conflict with a concurrent write, by reason (deadlock: PostgreSQL broke a deadlock by failing this write; serialization: a serialization failure; token_race: a concurrent call with the same clientToken claimed it first, so the write runs again as that call's replay; concurrent_update: a resource this write changed through EF Core had been changed meanwhile).");
        writesAbandoned = meter.CreateCounter<long>("mesh.api.write.abandoned", unit: "{write}",
            description: "Writes whose caller stopped waiting (the deadline passed or the client left) before the database answered, by whether they committed after all.");
        writeCancelsSkipped = meter.CreateCounter<long>("mesh.api.write.cancels.skipped", unit: "{cancel}",
            description: "Cancel requests for abandoned writes and reads not sent because too many were waiting for the database already (they end when it answers).");
        readsAbandoned = meter.CreateCounter<long>("mesh.api.read.abandoned", unit: "{read}",
            description: "Database reads whose callers all stopped waiting (the deadline passed or the client left) before the database answered, by what was read (resource: App Mesh's Describe, List and ListTagsForResource; cloud_map: Cloud Map's Get, List and Discover operations; console: the console's audit log; readiness: /readyz's database check; access_key: the key of a signed call); each is cancelled.");
        proxyStatusUnreachable = meter.CreateCounter<long>("mesh.api.proxy_status.unreachable", unit: "{read}",
            description: "Reads of an xDS server's proxy status (Mesh:Console:ProxyStatusUrls) that failed; the console shows the server as unreachable.");
        changeNotifyFailed = meter.CreateCounter<long>("mesh.api.change_notify.failed", unit: "{notify}",
            description: "NOTIFYs waking the change feed's followers after resource writes that failed (sent again a second later; followers also poll).");
        readBarriersFailed = meter.CreateCounter<long>("mesh.api.read_barrier.failed", unit: "{barrier}",
            description: "Read barriers (Mesh:ReadCache) that could not read the change log; the Describes waiting for each read PostgreSQL instead.");
        readCacheGapsGivenUp = meter.CreateCounter<long>("mesh.api.read_cache.gaps_given_up", unit: "{seq}",
            description: "Change-log numbers still missing after Mesh:ReadCache:GapTimeout, given up by the read barrier while a transaction that may fill them still ran (each time, every kept Describe answer is dropped).");
        readCacheMigrations = meter.CreateCounter<long>("mesh.api.read_cache.migrations", unit: "{migration}",
            description: "Migrations a read barrier (Mesh:ReadCache) found applied since the barrier before it; a migration may rewrite resources without change-log rows, so each time every kept Describe answer is dropped.");
        readCachePrunedUnread = meter.CreateCounter<long>("mesh.api.read_cache.pruned_unread", unit: "{barrier}",
            description: "Read barriers (Mesh:ReadCache) that found change-log rows this API had not read pruned (Mesh:Retention:ChangeLog); which resources they named is gone, so each time every kept Describe answer is dropped.");
        readCacheDescribes = meter.CreateCounter<long>("mesh.api.read_cache.describes", unit: "{describe}",
            description: "Describes with Mesh:ReadCache on, by how they were answered (kept: from memory after the read barrier; read: read from PostgreSQL after it and kept; refused: read after it but not kept, a change to it being applied meanwhile; unkept: read from PostgreSQL because the barrier failed, not kept; shared: the answer of another Describe's read of the same resource that started after this one arrived).");
        readBarrierStatements = meter.CreateCounter<long>("mesh.api.read_barrier.statements", unit: "{statement}",
            description: "Statements the read barriers (Mesh:ReadCache) ran, by statement (page: a page of the change log, one per barrier unless a page is full; maximum: the log's top, at the first barrier; writers: the transactions that may still fill a missing change-log number, while one from an earlier barrier is still missing).");
        retentionPrunedRows = meter.CreateCounter<long>("mesh.api.retention.pruned_rows", unit: "{row}",
            description: "Rows the retention pruner deleted for their age, by table (audit_log: older than Mesh:Retention:AuditLog; cloud_map_operations: Mesh:Retention:CloudMapOperations; changes: Mesh:Retention:ChangeLog, never the newest; idempotency_records: 24 hours).");
        retentionFailures = meter.CreateCounter<long>("mesh.api.retention.failures", unit: "{round}",
            description: "Retention rounds that failed for a table, by table (logged as a warning; the next round, Mesh:Retention:Interval later, tries again).");
    }

    /// <summary>How many resource writes hold one of <c>Mesh:WritesInFlight</c>'s slots, and how many wait for one.</summary>
    public void Observe(Resources.WriteSlots slots)
    {
        meter.CreateObservableGauge("mesh.api.writes.in_flight", () => slots.InFlight, unit: "{write}",
            description: "Resource writes running in PostgreSQL now, each holding one of Mesh:WritesInFlight's slots (mesh_api_writes_slots says how many there are).");
        meter.CreateObservableGauge("mesh.api.writes.waiting", () => slots.Waiting, unit: "{write}",
            description: "Resource writes waiting for one of Mesh:WritesInFlight's slots now; a queue that stays long says PostgreSQL, or the setting, is the bound.");
        meter.CreateObservableGauge("mesh.api.writes.slots", () => slots.Count, unit: "{slot}",
            description: "Mesh:WritesInFlight: the most resource writes this API process runs in PostgreSQL at once.");
    }

    /// <summary>
    /// Gives every counter a series at zero (calls: one per operation, as it answers when it succeeds), so that
    /// alerts and rates have a series before the first event.
    /// </summary>
    public void SeedZeros(IEnumerable<(string Operation, int SuccessStatus)> operations)
    {
        foreach (var (operation, status) in operations)
        {
            calls.Add(0, new TagList { { "operation", operation }, { "status", status }, { "error", "none" } });
        }

        auditDropped.Add(0);
        foreach (var reason in WriteRetryReason.All)
        {
            writeRetries.Add(0, new TagList { { "reason", reason } });
        }
        writesAbandoned.Add(0, new TagList { { "committed", false } });
        writesAbandoned.Add(0, new TagList { { "committed", true } });
        writeCancelsSkipped.Add(0);
        foreach (var read in AbandonedRead.All)
        {
            readsAbandoned.Add(0, new TagList { { "read", read } });
        }
        proxyStatusUnreachable.Add(0);
        changeNotifyFailed.Add(0);
        readBarriersFailed.Add(0);
        readCacheGapsGivenUp.Add(0);
        readCacheMigrations.Add(0);
        readCachePrunedUnread.Add(0);
        foreach (var answer in ReadCacheAnswer.All)
        {
            readCacheDescribes.Add(0, new TagList { { "answer", answer } });
        }

        foreach (var statement in ReadBarrierStatement.All)
        {
            readBarrierStatements.Add(0, new TagList { { "statement", statement } });
        }

        foreach (var table in RetentionTable.All)
        {
            retentionPrunedRows.Add(0, new TagList { { "table", table } });
            retentionFailures.Add(0, new TagList { { "table", table } });
        }
    }

    public void AuditRecordDropped(int count = 1) => auditDropped.Add(count);

    /// <summary>A write run again; <paramref name="reason"/> is one of <see cref="WriteRetryReason"/>'s names.</summary>
    public void WriteRetried(string reason) => writeRetries.Add(1, new TagList { { "reason", reason } });

    public void WriteAbandoned(bool committed) => writesAbandoned.Add(1, new TagList { { "committed", committed } });

    public void WriteCancelSkipped() => writeCancelsSkipped.Add(1);

    /// <summary>A read nobody waits for any more, cancelled; <paramref name="read"/> is one of <see cref="AbandonedRead"/>'s names.</summary>
    public void ReadAbandoned(string read) => readsAbandoned.Add(1, new TagList { { "read", read } });

    public void ProxyStatusUnreachable() => proxyStatusUnreachable.Add(1);

    public void ChangeNotifyFailed() => changeNotifyFailed.Add(1);

    /// <summary>Rows the retention pruner deleted from <paramref name="table"/>, one of <see cref="RetentionTable"/>'s names.</summary>
    public void RetentionPruned(string table, long rows) => retentionPrunedRows.Add(rows, new TagList { { "table", table } });

    /// <summary>A retention round that failed for <paramref name="table"/>, one of <see cref="RetentionTable"/>'s names.</summary>
    public void RetentionFailed(string table) => retentionFailures.Add(1, new TagList { { "table", table } });

    public void ReadBarrierFailed() => readBarriersFailed.Add(1);

    public void ReadCacheGapsGivenUp(int count) => readCacheGapsGivenUp.Add(count);

    public void ReadCacheMigrationSeen() => readCacheMigrations.Add(1);

    /// <summary>A read barrier found rows it had not read pruned, and dropped every kept answer.</summary>
    public void ReadCachePrunedUnread() => readCachePrunedUnread.Add(1);

    /// <summary>A Describe answered with the cache on; <paramref name="answer"/> is one of <see cref="ReadCacheAnswer"/>'s names.</summary>
    public void ReadCacheDescribed(string answer) => readCacheDescribes.Add(1, new TagList { { "answer", answer } });

    /// <summary>A read barrier's statement; <paramref name="statement"/> is one of <see cref="ReadBarrierStatement"/>'s names.</summary>
    public void ReadBarrierStatementRan(string statement) => readBarrierStatements.Add(1, new TagList { { "statement", statement } });

    /// <summary>Records one finished call; <paramref name="errorCode"/> is empty on success.</summary>
    public void Record(string operation, int statusCode, string errorCode, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "operation", operation },
            { "status", StatusTag(statusCode) },
            { "error", errorCode.Length == 0 ? "none" : errorCode },
        };
        calls.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, new TagList { { "operation", operation } });
    }

    public void Dispose() => meter.Dispose();

    /// <summary>HTTP statuses (100–599) boxed once: a tag's value is an object, and boxing the status on every call
    /// was 24 bytes a call. The same boxed <see cref="int"/>, so the exported tag is the same.</summary>
    private static readonly object[] BoxedStatuses = [.. Enumerable.Range(0, 600).Select(status => (object)status)];

    /// <summary>The status code as the <c>status</c> tag's value: a kept box for an HTTP status, a new one otherwise.</summary>
    internal static object StatusTag(int statusCode) =>
        (uint)statusCode < (uint)BoxedStatuses.Length ? BoxedStatuses[statusCode] : statusCode;
}

/// <summary>What an abandoned read read (the <c>read</c> tag of <c>mesh.api.read.abandoned</c>).</summary>
public static class AbandonedRead
{
    /// <summary>App Mesh's Describe, List and ListTagsForResource.</summary>
    public const string Resource = "resource";

    /// <summary>Cloud Map's reads: its Get, List and Discover operations, and the lookup naming an existing duplicate.</summary>
    public const string CloudMap = "cloud_map";

    /// <summary>The console's own reads (the audit log, and the mesh a proxy-status read is for).</summary>
    public const string Console = "console";

    /// <summary>The database check of <c>/readyz</c>.</summary>
    public const string Readiness = "readiness";

    /// <summary>The access key of a signed call or a console session.</summary>
    public const string AccessKey = "access_key";

    public static readonly IReadOnlyList<string> All = [Resource, CloudMap, Console, Readiness, AccessKey];
}

/// <summary>Why a write was run again (the <c>reason</c> tag of <c>mesh.api.write.retries</c>).</summary>
public static class WriteRetryReason
{
    /// <summary>PostgreSQL broke a deadlock by failing this write.</summary>
    public const string Deadlock = "deadlock";

    /// <summary>A serialization failure (none is expected at the writes' READ COMMITTED; counted apart if one happens).</summary>
    public const string Serialization = "serialization";

    /// <summary>
    /// A concurrent call with the same clientToken claimed it while this one waited on the token's row (a unique
    /// violation of it, migration ClaimWithoutSpeculativeInsert); run again, the write is that call's replay.
    /// </summary>
    public const string TokenRace = "token_race";

    /// <summary>EF Core found a resource's version changed under a write it saves (its concurrency token).</summary>
    public const string ConcurrentUpdate = "concurrent_update";

    public static readonly IReadOnlyList<string> All = [Deadlock, Serialization, TokenRace, ConcurrentUpdate];
}

/// <summary>How a Describe with <c>Mesh:ReadCache</c> was answered (the <c>answer</c> tag of <c>mesh.api.read_cache.describes</c>).</summary>
public static class ReadCacheAnswer
{
    /// <summary>From memory, after the read barrier.</summary>
    public const string Kept = "kept";

    /// <summary>Read from PostgreSQL after the barrier (nothing kept for it, or a write dropped it), and kept.</summary>
    public const string Read = "read";

    /// <summary>Read from PostgreSQL after the barrier, and not kept: a change to it (or to another resource in its stripe) was applied while it was read.</summary>
    public const string Refused = "refused";

    /// <summary>Read from PostgreSQL because the barrier failed; not kept.</summary>
    public const string Unkept = "unkept";

    /// <summary>The answer of another Describe's read of the same resource, sent after this one arrived (<c>SharedMissReads</c>); kept by that one, if at all.</summary>
    public const string Shared = "shared";

    public static readonly IReadOnlyList<string> All = [Kept, Read, Refused, Unkept, Shared];
}

/// <summary>A read barrier's statement (the <c>statement</c> tag of <c>mesh.api.read_barrier.statements</c>).</summary>
public static class ReadBarrierStatement
{
    /// <summary>A page of the change log after the barrier's position, with the numbers still missing below it.</summary>
    public const string Page = "page";

    /// <summary>The log's top, read once, at the process's first barrier.</summary>
    public const string Maximum = "maximum";

    /// <summary>The transactions that may still fill a missing number (from <c>pg_locks</c>).</summary>
    public const string Writers = "writers";

    public static readonly IReadOnlyList<string> All = [Page, Maximum, Writers];
}

/// <summary>The <c>table</c> label of <c>mesh_api_retention_*</c>: the tables the retention pruner deletes old rows of.</summary>
public static class RetentionTable
{
    public const string AuditLog = "audit_log";

    public const string CloudMapOperations = "cloud_map_operations";

    public const string ChangeLog = "changes";

    public const string IdempotencyRecords = "idempotency_records";

    public static readonly IReadOnlyList<string> All = [AuditLog, CloudMapOperations, ChangeLog, IdempotencyRecords];
}
