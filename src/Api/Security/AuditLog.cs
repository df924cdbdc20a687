using System.Threading.Channels;
using Mesh.Api.Resources;
using Mesh.Api.Observability;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Security;

/// <summary>
/// The durable record of API calls. A successful write's record is not written here: it goes into the write's
/// own transaction (see WriteTransactions), so a committed change always has one. Calls that changed nothing
/// (a refused or failed mutating call, a call refused at authentication or by the rate limit) are queued here
/// and written in batches in the background: answering them never waits on the database, a flood of them costs
/// one insert per batch, and while the database is away they wait in a bounded queue. What the queue cannot
/// hold is dropped, counted in mesh_api_audit_records_dropped_total and logged.
/// </summary>
public sealed partial class AuditLog(
    IDbContextFactory<MeshDbContext> contexts,
    ApiMetrics metrics,
    ILogger<AuditLog> logger) : BackgroundService
{
    private const int Capacity = 10_000;
    private const int BatchSize = 500;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly Channel<AuditRecordEntity> queue = Channel.CreateBounded<AuditRecordEntity>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long queued;
    private long settled;

    /// <summary>Queues the record of a call that changed nothing; never blocks and never throws.</summary>
    public void Enqueue(AuditRecordEntity record)
    {
        if (queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref queued);
            return;
        }

        metrics.AuditRecordDropped();
        LogDropped(logger, record.Action, record.ResourceArn, record.RequestId, Capacity);
    }

    /// <summary>
    /// Sets the message of <paramref name="written"/>, a record committed with its write, to <paramref name="message"/>
    /// (see <see cref="AbandonedWriteAudit"/>): in the background, tried a few times; never blocks and never throws.
    /// What cannot be written is logged and counted as a dropped record.
    /// </summary>
    public void AmendCommitted(AuditRecordEntity written, string message)
    {
        Interlocked.Increment(ref queued);
        _ = Task.Run(async () =>
        {
            try
            {
                await AmendAsync(written, message);
            }
            finally
            {
                Interlocked.Increment(ref settled);
            }
        });
    }

    private async Task AmendAsync(AuditRecordEntity written, string message)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync();

                // PostgreSQL keeps microseconds, so the record's time is matched to within a millisecond (the request
                // id alone is not indexed; the time is).
                var amended = await db.AuditLog
                    .Where(a => a.At >= written.At.AddMilliseconds(-1) && a.At <= written.At.AddMilliseconds(1) && a.RequestId == written.RequestId)
                    .ExecuteUpdateAsync(set => set.SetProperty(a => a.Message, AuditRecords.Bound(message, AuditRecords.MaxMessage)));
                if (amended == 0)
                {
                    LogAmendFoundNothing(logger, written.RequestId);
                }

                return;
            }
            catch (Exception error) when (attempt < 5)
            {
                LogWriteFailed(logger, error, 1, backoff);
                await Task.Delay(backoff);
                backoff *= 2;
            }
            catch (Exception error)
            {
                metrics.AuditRecordDropped();
                LogAmendFailed(logger, error, written.RequestId, message);
                return;
            }
        }
    }

    /// <summary>Waits until every record queued before the call is written (or given up on at shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var target = Interlocked.Read(ref queued);
        while (Interlocked.Read(ref settled) < target)
        {
            await Task.Delay(10, ct);
        }
    }

    public async Task<IReadOnlyList<AuditRecordEntity>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? accountId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.AuditLog.AsNoTracking()
            .Where(a => a.At >= from && a.At < to && (accountId == null || a.AccountId == accountId))
            .OrderBy(a => a.At).ThenBy(a => a.Id)
            .ToListAsync(ct);
    }

    /// <summary>An account's records newest first, <paramref name="limit"/> at most, older than the record <paramref name="beforeId"/> when given.</summary>
    public async Task<IReadOnlyList<AuditRecordEntity>> ListNewestAsync(string accountId, int limit, long? beforeId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.AuditLog.AsNoTracking()
            .Where(a => a.AccountId == accountId && (beforeId == null || a.Id < beforeId))
            .OrderByDescending(a => a.Id)
            .Take(limit)
            .ToListAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditRecordEntity>(BatchSize);
        var backoff = TimeSpan.FromMilliseconds(100);
        try
        {
            while (batch.Count > 0 || await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < BatchSize && queue.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                try
                {
                    await WriteAsync(batch, stoppingToken);
                    Interlocked.Add(ref settled, batch.Count);
                    batch.Clear();
                    backoff = TimeSpan.FromMilliseconds(100);
                }
                catch (Exception error) when (error is not OperationCanceledException && IsUnwritableRecord(error))
                {
                    // The database refused a value of the batch: one of its records cannot be written. Written one by
                    // one, the others go in and that one is dropped (counted, logged), not retried forever ahead of
                    // every record queued behind it.
                    var lost = await WriteEachAsync(batch, stoppingToken);
                    if (lost > 0)
                    {
                        LogUnwritable(logger, error, lost);
                    }

                    if (batch.Count > 0)
                    {
                        // Stopped at a record that failed otherwise (the database restarting, read-only, ...): the
                        // rest waits, as below.
                        await Task.Delay(backoff, stoppingToken);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                    }
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // Keep the batch and try it again (with whatever arrived meanwhile): the database may be restarting.
                    LogWriteFailed(logger, error, batch.Count, backoff);
                    await Task.Delay(backoff, stoppingToken);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await DrainAtShutdownAsync(batch);
        }
    }

    private async Task WriteAsync(List<AuditRecordEntity> batch, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        foreach (var record in batch)
        {
            record.Id = 0;
        }

        db.AuditLog.AddRange(batch);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Writes the batch's records one by one, dropping (and counting) each whose values the database refuses, and
    /// takes each out of the batch once written or dropped, so that a stop part way leaves the batch as what is left.
    /// It stops at a record that fails otherwise, which stays in the batch with those after it. Returns how many were dropped.
    /// </summary>
    private async Task<int> WriteEachAsync(List<AuditRecordEntity> batch, CancellationToken ct)
    {
        var lost = 0;
        while (batch.Count > 0)
        {
            try
            {
                await WriteAsync([batch[0]], ct);
            }
            catch (Exception error) when (error is not OperationCanceledException && IsUnwritableRecord(error))
            {
                lost++;
                metrics.AuditRecordDropped();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                return lost;
            }

            batch.RemoveAt(0);
            Interlocked.Increment(ref settled);
        }

        return lost;
    }

    /// <summary>
    /// Whether <paramref name="error"/> says a value of the records cannot be written, whatever the database's state:
    /// a data exception or constraint (SQLSTATE classes 22, 23, 54) or a value Npgsql cannot encode. Anything else (the
    /// database restarting, read-only in a failover, a schema not migrated yet) holds for every record: retried.
    /// </summary>
    private static bool IsUnwritableRecord(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Npgsql.PostgresException postgres when postgres.SqlState[..2] is "22" or "23" or "54":
                case System.Text.EncoderFallbackException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>One last attempt, bounded in time, for what is still queued when the host stops.</summary>
    private async Task DrainAtShutdownAsync(List<AuditRecordEntity> batch)
    {
        while (queue.Reader.TryRead(out var record))
        {
            batch.Add(record);
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteAsync(batch, timeout.Token);
        }
        catch (Exception error)
        {
            metrics.AuditRecordDropped(batch.Count);
            LogLostAtShutdown(logger, error, batch.Count);
        }
        finally
        {
            Interlocked.Add(ref settled, batch.Count);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Error,
        Message = "Audit queue full ({Capacity} records waiting for the database): the record of {Action} on {ResourceArn} (request {RequestId}) is dropped")]
    private static partial void LogDropped(ILogger logger, string action, string resourceArn, string requestId, int capacity);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not write {Count} audit records; retrying in {Backoff}")]
    private static partial void LogWriteFailed(ILogger logger, Exception error, int count, TimeSpan backoff);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "The audit record of request {RequestId} could not be amended to say: {Message}")]
    private static partial void LogAmendFailed(ILogger logger, Exception error, string requestId, string message);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "The audit record of request {RequestId}, committed with its write, was not found to amend")]
    private static partial void LogAmendFoundNothing(ILogger logger, string requestId);

    [LoggerMessage(EventId = 25, Level = LogLevel.Error, Message = "{Count} audit records could not be written (the database refused them) and are dropped")]
    private static partial void LogUnwritable(ILogger logger, Exception error, int count);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "{Count} audit records could not be written before shutdown and are lost")]
    private static partial void LogLostAtShutdown(ILogger logger, Exception error, int count);
}
