using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Which failures the write path runs again, and the <c>reason</c> each is counted under in <c>mesh.api.write.retries</c>.
/// (A real clientToken race is in <see cref="WriteFunctionTests"/>.)
/// </summary>
public sealed class DatabaseFailuresTests
{
    private static PostgresException Postgres(string sqlState, string? constraint = null) =>
        new("failed", "ERROR", "ERROR", sqlState, constraintName: constraint);

    public static TheoryData<string, string?, string> Conflicts => new()
    {
        { PostgresErrorCodes.DeadlockDetected, null, WriteRetryReason.Deadlock },
        { PostgresErrorCodes.SerializationFailure, null, WriteRetryReason.Serialization },
        { PostgresErrorCodes.UniqueViolation, "PK_idempotency_records", WriteRetryReason.TokenRace },
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void A_Conflict_Is_Retried_Under_Its_Reason(string sqlState, string? constraint, string reason)
    {
        var error = Postgres(sqlState, constraint);

        Assert.Equal(reason, DatabaseFailures.ConflictReason(error));
        Assert.True(DatabaseFailures.IsConflict(error));
        // As EF Core and the write path wrap it.
        Assert.Equal(reason, DatabaseFailures.ConflictReason(new DbUpdateException("saving", error)));
    }

    [Fact]
    public void A_Resource_Changed_Under_An_EF_Core_Write_Is_A_Concurrent_Update()
    {
        Assert.Equal(WriteRetryReason.ConcurrentUpdate, DatabaseFailures.ConflictReason(new DbUpdateConcurrencyException("version changed")));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation, "ux_resources_identity")] // a taken name: ConflictException, not a retry
    [InlineData(PostgresErrorCodes.ForeignKeyViolation, null)]
    [InlineData(PostgresErrorCodes.QueryCanceled, null)]
    public void Other_Failures_Are_Not_Retried(string sqlState, string? constraint)
    {
        var error = Postgres(sqlState, constraint);

        Assert.Null(DatabaseFailures.ConflictReason(error));
        Assert.False(DatabaseFailures.IsConflict(error));
    }
}
