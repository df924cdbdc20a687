using Mesh.Api.Observability;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Sorts what PostgreSQL (or the way to it) threw into what the caller should hear: a conflict between
/// concurrent writes that is worth retrying at once, or the database being unreachable, which the API answers
/// with ServiceUnavailableException so SDKs back off and retry. Anything else is a bug and stays a 500.
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// A deadlock, a serialization failure, or a clientToken claimed meanwhile by a concurrent call with the same token
    /// (migration ClaimWithoutSpeculativeInsert: the claim's INSERT waited for that call and found its record committed):
    /// nothing was written, and the same transaction may succeed now (the token's replay, or its refusal). Also a
    /// resource EF Core saves whose version changed meanwhile (its concurrency token).
    /// </summary>
    public static bool IsConflict(Exception error) => ConflictReason(error) is not null;

    /// <summary>
    /// Which conflict <see cref="IsConflict"/> found, as <c>mesh.api.write.retries</c>' <c>reason</c> tag (one of
    /// <see cref="WriteRetryReason"/>'s names); null when <paramref name="error"/> is not one.
    /// </summary>
    public static string? ConflictReason(Exception error)
    {
        if (error is DbUpdateConcurrencyException)
        {
            return WriteRetryReason.ConcurrentUpdate;
        }

        return FindPostgresError(error) switch
        {
            { SqlState: PostgresErrorCodes.DeadlockDetected } => WriteRetryReason.Deadlock,
            { SqlState: PostgresErrorCodes.SerializationFailure } => WriteRetryReason.Serialization,
            { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "PK_idempotency_records" } => WriteRetryReason.TokenRace,
            _ => null,
        };
    }

    /// <summary>
    /// The database could not be reached or could not serve: connection refused or broken, a timeout, the pool
    /// exhausted, the server shutting down, starting up, or out of resources.
    /// </summary>
    public static bool IsUnavailable(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return IsUnavailableState(postgres.SqlState);
                case NpgsqlException:
                    // Not a server error: the network, a timeout, TLS or the pool (Npgsql's own failures).
                    return true;
                case TimeoutException or System.Net.Sockets.SocketException:
                    return true;
            }
        }

        return false;
    }

    public static bool IsForeignKeyViolation(Exception error, string constraint) =>
        FindPostgresError(error) is { SqlState: PostgresErrorCodes.ForeignKeyViolation } e && e.ConstraintName == constraint;

    public static bool IsUniqueViolation(Exception error, string constraint) =>
        FindPostgresError(error) is { SqlState: PostgresErrorCodes.UniqueViolation } e && e.ConstraintName == constraint;

    private static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources (too many connections, disk full)
        || sqlState.StartsWith("58", StringComparison.Ordinal) // system error (I/O)
        || sqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.QueryCanceled;

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
}
