using Mesh.Api.Observability;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Resources;

/// <summary>
/// The one place rows are deleted for their age ("Mesh:Retention", <see cref="RetentionOptions"/>): the audit log, the
/// Cloud Map operations and the change log, which would otherwise grow with every write for as long as Mesh runs, and
/// clientToken records after <see cref="Idempotency.Retention"/> (SDK retries happen within minutes). A round runs at
/// start and then every <see cref="RetentionOptions.Interval"/>, in every API replica: the deletes are idempotent and
/// batched (<see cref="RetainedTable"/>), so replicas pruning at once share the work. Rows deleted are counted per
/// table in <c>/metrics</c>; a table whose round fails is counted, logged as a warning, and tried again next round
/// (a failed prune costs only disk space).
/// </summary>
public sealed partial class RetentionPruner(
    WriteDatabase database, IOptions<MeshApiOptions> options, TimeProvider clock, ApiMetrics metrics, ILogger<RetentionPruner> logger)
    : BackgroundService
{
    /// <summary>Rows deleted per statement: small enough that no batch holds its locks or transaction for long.</summary>
    public const int DefaultBatchSize = 5_000;

    private readonly RetentionOptions retention = options.Value.Retention;

    /// <summary>Rows deleted per statement; tests lower it to see rounds of several batches.</summary>
    internal int BatchSize { get; set; } = DefaultBatchSize;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(retention.Interval, clock);
        do
        {
            await PruneAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round: every table whose retention is not zero (zero keeps it forever). Answers the rows deleted per table.</summary>
    public async Task<IReadOnlyDictionary<string, long>> PruneAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var counts = new Dictionary<string, long>();
        foreach (var (table, kept) in Tables())
        {
            if (kept == TimeSpan.Zero)
            {
                continue;
            }

            long deleted = 0;
            if (kept >= now - DateTimeOffset.MinValue)
            {
                // A retention reaching back before the year 1 (a very long one written to mean "for ever"): no row is
                // that old, and its cutoff cannot be written as a date.
                counts[table.Name] = deleted;
                continue;
            }

            try
            {
                await using var connection = await database.OpenConnectionAsync(ct);
                await table.PruneAsync(connection, now - kept, BatchSize, batch =>
                {
                    deleted += batch;
                    metrics.RetentionPruned(table.Name, batch);
                }, ct);
                if (deleted > 0)
                {
                    LogPruned(logger, deleted, table.Name, kept);
                }
            }
            catch (Exception error) when (!ct.IsCancellationRequested)
            {
                // The batches before the failure stay deleted (and counted); the next round goes on from there.
                metrics.RetentionFailed(table.Name);
                LogPruneFailed(logger, table.Name, deleted, error);
            }

            counts[table.Name] = deleted;
        }

        return counts;
    }

    private IEnumerable<(RetainedTable Table, TimeSpan Kept)> Tables() =>
    [
        (RetainedTable.IdempotencyRecords, Idempotency.Retention),
        (RetainedTable.ChangeLog, retention.ChangeLog),
        (RetainedTable.CloudMapOperations, retention.CloudMapOperations),
        (RetainedTable.AuditLog, retention.AuditLog),
    ];

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Pruned {Count} rows of {Table} older than {Retention}")]
    private static partial void LogPruned(ILogger logger, long count, string table, TimeSpan retention);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning,
        Message = "Pruning {Table} failed after {Count} rows (counted in mesh_api_retention_failures_total); the next round tries again")]
    private static partial void LogPruneFailed(ILogger logger, string table, long count, Exception error);
}
