using Mesh.Security;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Security;

/// <summary>Durable record of every mutating API call, successful or not.</summary>
public sealed partial class AuditLog(IDbContextFactory<MeshDbContext> contexts, TimeProvider clock, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(Caller caller, string action, string resourceArn, string requestId, int statusCode, string errorCode)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            db.AuditLog.Add(new AuditRecordEntity
            {
                At = clock.GetUtcNow(),
                AccountId = caller.AccountId,
                AccessKeyId = caller.AccessKeyId,
                Action = action,
                ResourceArn = resourceArn,
                RequestId = requestId,
                StatusCode = statusCode,
                ErrorCode = errorCode,
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception error) when (error is DbUpdateException or Npgsql.NpgsqlException or TimeoutException)
        {
            // The call itself has already been answered; losing its audit line must at least be loud.
            LogAuditWriteFailed(logger, error, action, resourceArn, requestId);
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

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "Could not write the audit record of {Action} on {ResourceArn} (request {RequestId})")]
    private static partial void LogAuditWriteFailed(ILogger logger, Exception error, string action, string resourceArn, string requestId);
}
