using System.Data;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Security;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Runs each write as one READ COMMITTED transaction on a fresh context, and commits the call's audit record
/// with it, so a change is never committed without its record and a failed audit can never break a response
/// that was already being sent.
/// </summary>
/// <remarks>
/// Correctness under concurrency comes from locks the write takes (see <see cref="ResourceLocks"/>), not from
/// SERIALIZABLE: the resources a write depends on are locked against deletion (a shared advisory lock per
/// resource, which a delete takes exclusively), the resource it changes FOR NO KEY UPDATE (updates) or FOR UPDATE
/// (deletes), one shard of the quota scope's count on create and delete (right before the commit, see
/// <see cref="QuotaCounter"/>), and the clientToken's record first of all. Two writes in one mesh therefore wait for each other only where one really depends on
/// the other. A deadlock, which PostgreSQL breaks by failing one side, or a clientToken another call with the same token claimed meanwhile (<see cref="DatabaseFailures.IsConflict"/>), is retried here a few times; if it keeps
/// happening the caller gets ServiceUnavailableException to retry later, never a 500.
/// </remarks>
public sealed partial class WriteTransactions(
    IDbContextFactory<MeshDbContext> contexts,
    WriteDatabase database,
    WriteSlots slots,
    ApiMetrics metrics,
    ChangeNotifier notifier,
    DatabaseCancels cancels,
    AuditLog audits,
    TimeProvider clock,
    ILogger<WriteTransactions> logger)
{
    private const int MaxAttempts = 5;

    /// <summary>
    /// Runs <paramref name="work"/>, then saves what it left pending together with the audit record and commits.
    /// <paramref name="subject"/> names what is written (e.g. "virtual node 'web' in mesh 'prod'"), for logs and
    /// for the ConflictException a duplicate name gets.
    /// </summary>
    public Task<JsonObject> RunAsync(ApiCall call, string subject, Func<MeshDbContext, CancellationToken, Task<JsonObject>> work, CancellationToken cancellationToken) =>
        RunAsync(call, subject, (audit, ct) => RunOnceAsync(audit, work, ct), cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> (a call of a write function, migration <c>WriteFunctions</c>, made by
    /// <see cref="Audited"/>) with the audit record in its statement, in one round trip and one transaction of its own
    /// (<see cref="WriteBatch"/>), wakes the change feed's followers
    /// (<see cref="ChangeNotifier"/>), then makes the answer from the row it returned
    /// with <paramref name="answer"/>. A refusal of the function is the App Mesh error <paramref name="refusal"/> words;
    /// the other errors are sorted as for the other overload.
    /// </summary>
    public Task<JsonObject> RunAsync(ApiCall call, string subject, Func<WriteParameters> write, Func<object?[]?, JsonObject> answer,
        Func<Exception, AppMeshException?> refusal, CancellationToken cancellationToken) =>
        RunAsync(call, subject, async (audit, ct) =>
        {
            object?[]? row;
            try
            {
                var statement = write();

                // A slot first (Mesh:WritesInFlight), held until the connection is back in the pool; then straight from
                // the pool EF Core shares (WriteDatabase): no context is needed for one batch. Written out here rather
                // than awaited as a method of its own (issue14aw: one state machine fewer per write).
                using (await slots.EnterAsync(ct))
                await using (var connection = await database.OpenConnectionAsync(ct))
                {
                    // One statement in a transaction of its own, at the writes' connections' READ COMMITTED (WriteBatch):
                    // committed when it answers, rolled back whole when it fails (and then wakes nobody). A replay, which
                    // changed nothing, wakes the followers too; they find nothing new.
                    row = await WriteBatch.CommitAsync(connection, WithAudit(statement, audit), ct);
                    notifier.Changed();
                }
            }
            catch (PostgresException error) when (refusal(error) is { } refused)
            {
                throw refused;
            }

            return answer(row);
        }, cancellationToken);

    private async Task<JsonObject> RunAsync(ApiCall call, string subject, Func<AuditRecordEntity, CancellationToken, Task<JsonObject>> once,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // The call's audit record, committed with the write.
            var audit = call.ToAuditRecord(clock.GetUtcNow(), call.SuccessStatus);
            try
            {
                // The call stops waiting at its deadline even if PostgreSQL never answers (see DeadlineRace).
                // Given as state, not captured: no closure and no delegates per attempt (issue14aw).
                return await DeadlineRace.RunAsync(static (state, ct) => state.Once(state.Audit, ct), (Once: once, Audit: audit, Writes: this, Call: call, Subject: subject),
                    cancellationToken, cancels, static (state, running) => state.Writes.Abandoned(state.Call, state.Subject, state.Audit, running));
            }
            // ux_resources_arn is there only on a schema before migration ArnFoundByIdentity, where it may be the
            // index that refuses a taken name first.
            catch (Exception error) when (DatabaseFailures.IsUniqueViolation(error, "ux_resources_identity")
                                                  || DatabaseFailures.IsUniqueViolation(error, "ux_resources_arn"))
            {
                throw AppMeshException.Conflict($"{char.ToUpperInvariant(subject[0])}{subject[1..]} already exists.");
            }
            catch (Exception error) when (DatabaseFailures.ConflictReason(error) is { } reason && attempt < MaxAttempts)
            {
                // The transaction was rolled back (or never committed) when its scope ended; start a new one.
                metrics.WriteRetried(reason);
                LogRetry(logger, call.Operation, subject, reason, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), cancellationToken);
            }
            catch (Exception error) when (DatabaseFailures.IsConflict(error))
            {
                throw new AppMeshException(ErrorCode.ServiceUnavailable,
                    $"{call.Operation} on {subject} kept deadlocking with concurrent writes ({MaxAttempts} attempts); retry the request.");
            }
        }
    }

    /// <summary>
    /// A write its caller stopped waiting for (answered 503 at the deadline, or the client went away): once it has
    /// ended, logged and counted by what became of it, since the caller was told it may or may not have been applied,
    /// and its audit record settled (<see cref="AbandonedWriteAudit"/>: one record per request, saying what happened).
    /// </summary>
    private void Abandoned(ApiCall call, string subject, AuditRecordEntity audit, Task running)
    {
        var settled = new AbandonedWriteAudit(audits, audit);
        call.AbandonedWrite = settled;
        _ = running.ContinueWith(ended => Ended(call, subject, settled, ended), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Ended(ApiCall call, string subject, AbandonedWriteAudit settled, Task ended)
    {
        var committed = ended.IsCompletedSuccessfully;
        settled.Ended(committed);
        metrics.WriteAbandoned(committed);
        if (committed)
        {
            LogAbandonedCommitted(logger, call.Operation, subject, call.RequestId);
        }
        else
        {
            LogAbandonedNotCommitted(logger, ended.Exception?.GetBaseException(), call.Operation, subject, call.RequestId);
        }
    }

    private async Task<JsonObject> RunOnceAsync(AuditRecordEntity audit, Func<MeshDbContext, CancellationToken, Task<JsonObject>> work, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);

        // A failed statement fails the whole write, so EF's savepoint around each SaveChanges would only cost round trips.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var response = await work(db, ct);

        // A write that changed entities through EF Core (Cloud Map, tags): saved with its audit record, then committed.
        // No explicit rollback on failure anywhere: disposing an uncommitted transaction rolls it back, and one
        // whose COMMIT failed is already over (rolling it back again would throw and hide the real error).
        db.AuditLog.Add(audit);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return response;
    }

    /// <summary>
    /// A write function's call (<paramref name="call"/>, its parameters <c>$1</c> to <c>$n</c>) that also inserts the
    /// call's audit record, from the ten parameters after the call's (which the write path fills in, <see cref="WithAudit"/>).
    /// </summary>
    /// <remarks>
    /// One statement instead of an audit <c>INSERT</c> beside the call in the batch: one Bind, Execute and portal fewer
    /// for PostgreSQL, and one batch command and result fewer for the API (issue14an). The record is the same row: it
    /// is inserted after the function has returned (PostgreSQL runs a data-modifying <c>WITH</c> that the query does
    /// not read once the query is done), and a refused or failed write rolls it back with the rest, as before; the
    /// refusal's own record is written after the rollback (<see cref="AuditLog"/>).
    /// </remarks>
    public static WriteStatement Audited(string call)
    {
        var first = Placeholders(call) + 1;
        var values = string.Join(", ", Enumerable.Range(first, AuditColumns).Select(n => $"${n}"));
        return new WriteStatement($"""
            WITH audit AS (
                INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code, message, source_address)
                VALUES ({values}))
            {call}
            """, audited: true);
    }

    private const int AuditColumns = 10;

    /// <summary>The highest <c>$n</c> in <paramref name="sql"/>: the call's parameter count, its positions being 1 to n.</summary>
    private static int Placeholders(string sql) =>
        PlaceholderPattern().Matches(sql).Select(m => int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    [GeneratedRegex(@"\$([0-9]+)")]
    private static partial Regex PlaceholderPattern();

    /// <summary>The audit record's values in the positions after the write function's (<see cref="Audited"/>).</summary>
    private static WriteParameters WithAudit(WriteParameters write, AuditRecordEntity audit)
    {
        if (!write.Statement.IsAudited)
        {
            throw new InvalidOperationException($"A resource write's statement must insert its audit record (WriteTransactions.Audited): {write.Statement.Sql}");
        }

        return write
            .Value(audit.At).Text(audit.AccountId).Text(audit.AccessKeyId).Text(audit.Action).Text(audit.ResourceArn).Text(audit.RequestId)
            .Value(audit.StatusCode).Text(audit.ErrorCode).Text(audit.Message).Text(audit.SourceAddress);
    }

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Operation} on {Subject} (request {RequestId}) committed after its caller stopped waiting (the deadline passed or the client left); a retry with its clientToken answers with it")]
    private static partial void LogAbandonedCommitted(ILogger logger, string operation, string subject, string requestId);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "{Operation} on {Subject} (request {RequestId}) ended without committing after its caller stopped waiting")]
    private static partial void LogAbandonedNotCommitted(ILogger logger, Exception? error, string operation, string subject, string requestId);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "{Operation} on {Subject}: retrying after a conflict with a concurrent write ({Reason}, attempt {Attempt})")]
    private static partial void LogRetry(ILogger logger, string operation, string subject, string reason, int attempt);
}
