using System.Data;
using Mesh.Api.Protocol;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Runs each write in a SERIALIZABLE transaction on a fresh context, retrying when PostgreSQL reports a
/// serialization failure or deadlock. Serializable isolation is what makes "check the reference, then
/// write" safe against a concurrent delete without any application-level locking.
/// </summary>
public sealed partial class WriteTransactions(IDbContextFactory<MeshDbContext> contexts, ILogger<WriteTransactions> logger)
{
    private const int MaxAttempts = 12;

    public async Task<T> RunAsync<T>(string description, Func<MeshDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            try
            {
                var result = await work(db, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (Exception error) when (IsTransient(error) && attempt < MaxAttempts)
            {
                LogRetry(logger, description, attempt);
                await transaction.RollbackAsync(CancellationToken.None);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * attempt)), cancellationToken);
            }
            catch (Exception error) when (IsTransient(error))
            {
                throw new AppMeshException(ErrorCode.TooManyRequests,
                    $"{description} kept conflicting with concurrent writes; retry the request.");
            }
        }
    }

    public static bool IsUniqueViolation(Exception error, string constraint) =>
        FindPostgresError(error) is { SqlState: PostgresErrorCodes.UniqueViolation } e && e.ConstraintName == constraint;

    private static bool IsTransient(Exception error) =>
        error is DbUpdateConcurrencyException
        || FindPostgresError(error)?.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
        // Two requests racing with the same clientToken: the loser retries and then sees the winner's record.
        || IsUniqueViolation(error, "PK_idempotency_records");

    private static PostgresException? FindPostgresError(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is PostgresException postgres)
            {
                return postgres;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "{Description}: retrying after a serialization conflict (attempt {Attempt})")]
    private static partial void LogRetry(ILogger logger, string description, int attempt);
}
