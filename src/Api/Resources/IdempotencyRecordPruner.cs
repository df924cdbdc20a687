using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// Deletes clientToken records once they are older than <see cref="Idempotency.Retention"/>: SDK retries
/// happen within minutes, and without pruning the table would grow with every write forever.
/// </summary>
public sealed partial class IdempotencyRecordPruner(IDbContextFactory<MeshDbContext> contexts, TimeProvider clock, ILogger<IdempotencyRecordPruner> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(stoppingToken);
                var cutoff = clock.GetUtcNow() - Idempotency.Retention;
                var deleted = await db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(stoppingToken);
                LogPruned(logger, deleted);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The next round tries again; a failed prune costs only disk space.
                LogPruneFailed(logger, error);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "Pruned {Count} expired clientToken records")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Pruning expired clientToken records failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception error);
}
