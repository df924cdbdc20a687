using Mesh.Api.Resources;
using Mesh.Testing;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A resource write is one statement sent without BEGIN and COMMIT (<see cref="WriteBatch"/>): PostgreSQL runs it as a
/// transaction of its own, committed when it has ended or rolled back whole, at READ COMMITTED whatever the database's
/// default, because the writes' connections set their sessions' default when they connect
/// (<see cref="ApiConnectionString.ForWrites"/>).
/// </summary>
public sealed class WriteBatchTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task AWrite_IsATransactionOfItsOwn_StartedByItsStatement_AtReadCommitted_AndCommitted()
    {
        await using var source = NpgsqlDataSource.Create(ApiConnectionString.ForWrites(ApiConnectionString.Tune(database.ConnectionString)));
        await ExecuteAsync(source, "CREATE TABLE IF NOT EXISTS batch_written (value text NOT NULL)");

        await using var connection = await source.OpenConnectionAsync();
        const string write = """
            WITH written AS (INSERT INTO batch_written (value) VALUES ($1))
            SELECT current_setting('transaction_isolation')
            """;
        var row = await WriteBatch.CommitAsync(connection, new WriteStatement(write).Rent().Text("committed"), CancellationToken.None);

        Assert.NotNull(row);
        Assert.Equal("read committed", row[0]);
        // Committed: another session sees it at once, and the write's session is idle, out of any transaction, with the
        // write as the last statement it ran (with BEGIN and COMMIT in the batch, COMMIT would be).
        Assert.Equal(1L, await ScalarAsync(source, "SELECT count(*) FROM batch_written WHERE value = 'committed'"));
        await using var activity = source.CreateCommand("SELECT state, query FROM pg_stat_activity WHERE pid = $1");
        activity.Parameters.Add(new NpgsqlParameter<int> { TypedValue = connection.ProcessID });
        await using var reader = await activity.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("idle", reader.GetString(0));
        Assert.Equal(write, reader.GetString(1).Trim());
    }

    [Fact]
    public async Task AWriteThatFails_IsRolledBackWhole_AndLeavesItsConnectionIdle()
    {
        await using var source = NpgsqlDataSource.Create(ApiConnectionString.ForWrites(ApiConnectionString.Tune(database.ConnectionString)));
        await ExecuteAsync(source, "CREATE TABLE IF NOT EXISTS batch_failed (value text NOT NULL)");

        await using var connection = await source.OpenConnectionAsync();
        var failed = await Assert.ThrowsAsync<PostgresException>(() => WriteBatch.CommitAsync(connection, new WriteStatement("""
            WITH written AS (INSERT INTO batch_failed (value) VALUES ($1) RETURNING 1)
            SELECT 1 / (count(*)::integer - 1) FROM written
            """).Rent().Text("rolled back"), CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.DivisionByZero, failed.SqlState);
        // The statement's INSERT went with it, and the same connection runs the next statement with nothing to roll back.
        await using var next = new NpgsqlCommand("SELECT count(*) FROM batch_failed", connection);
        Assert.Equal(0L, await next.ExecuteScalarAsync());
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task TheWritesConnections_AreReadCommitted_WhateverTheDatabasesOrTheOperatorsDefault()
    {
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        await using (var admin = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await ExecuteAsync(admin, $"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'");
        }

        try
        {
            // New sessions of this database now default to REPEATABLE READ (the test could fail)...
            await using var plain = NpgsqlDataSource.Create(database.ConnectionString);
            Assert.Equal("repeatable read", await ScalarAsync(plain, "SHOW transaction_isolation"));

            // ...but not the writes' sessions, nor when the operator's own Options name another level.
            await using var writes = NpgsqlDataSource.Create(ApiConnectionString.ForWrites(ApiConnectionString.Tune(database.ConnectionString)));
            Assert.Equal("read committed", await ScalarAsync(writes, "SHOW transaction_isolation"));
            var operators = database.ConnectionString + ";Options=-c default_transaction_isolation=serializable -c statement_timeout=0";
            await using var written = NpgsqlDataSource.Create(ApiConnectionString.ForWrites(ApiConnectionString.Tune(operators)));
            Assert.Equal("read committed", await ScalarAsync(written, "SHOW transaction_isolation"));
            Assert.Equal("0", await ScalarAsync(written, "SHOW statement_timeout"));
        }
        finally
        {
            await using var admin = NpgsqlDataSource.Create(database.ConnectionString);
            await ExecuteAsync(admin, $"ALTER DATABASE \"{name}\" RESET default_transaction_isolation");
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
