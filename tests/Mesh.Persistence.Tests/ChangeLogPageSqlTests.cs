using Mesh.Migrations;
using Mesh.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Persistence.Tests;

/// <summary>
/// The change log's page statement (<see cref="ChangeLogPageSql"/>), run prepared as both followers run it: after
/// PostgreSQL's first five executions, which it always plans for their values, every later one runs the statement's
/// one generic plan. Written as <c>seq &gt; $1</c>, every execution was planned again (0 generic plans), which cost
/// each NOTIFY of the xDS server and each read barrier of the API a planning of its own.
/// </summary>
public sealed class ChangeLogPageSqlTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    // PostgreSQL plans a prepared statement's first five executions for their values (plancache.c, choose_custom_plan).
    private const int CustomPlansFirst = 5;
    private const int Executions = 12;

    [Fact]
    public async Task ThePageAboveTheTop_RunsItsGenericPlan_AfterTheFirstFive()
    {
        await using var connection = await OpenWithChangesAsync();
        var top = await MaxSeqAsync(connection);
        await using var page = new NpgsqlCommand(ChangeLogPageSql.AfterTop("*", "$1", 1000), connection);
        var after = new NpgsqlParameter<long> { TypedValue = top };
        page.Parameters.Add(after);
        await page.PrepareAsync();

        for (var execution = 0; execution < Executions; execution++)
        {
            after.TypedValue = top - execution % 3; // a top at or just below the log's last row, as a follower's is
            Assert.Equal(execution % 3, (await ReadSeqsAsync(page)).Count);
        }

        Assert.Equal((CustomPlansFirst, Executions - CustomPlansFirst), await PlansAsync(connection));
    }

    [Fact]
    public async Task ThePageWithHoles_ReturnsTheHolesAndTheRowsAboveTheTop_AndRunsItsGenericPlan_AfterTheFirstFive()
    {
        await using var connection = await OpenWithChangesAsync();
        var top = await MaxSeqAsync(connection);
        await using var page = new NpgsqlCommand(ChangeLogPageSql.AfterTopOrHoles("seq", "$1", "$2", 1000), connection);
        var after = new NpgsqlParameter<long> { TypedValue = top - 1 };
        var holes = new NpgsqlParameter<long[]> { TypedValue = [top - 40, top - 7] };
        page.Parameters.Add(after);
        page.Parameters.Add(holes);
        await page.PrepareAsync();

        for (var execution = 0; execution < Executions; execution++)
        {
            // The holes by number, then the row above the top, in order; none of the rows between them.
            Assert.Equal(new[] { top - 40, top - 7, top }, await ReadSeqsAsync(page));
        }

        Assert.Equal((CustomPlansFirst, Executions - CustomPlansFirst), await PlansAsync(connection));
    }

    [Fact]
    public async Task TheFeedsRead_ThroughEfCore_OnAnAutoPreparingConnection_IsPlannedOnce()
    {
        await using var connection = await OpenWithChangesAsync();
        var top = await MaxSeqAsync(connection);

        // The xDS server's connections: Npgsql prepares a statement once it has run AutoPrepareMinUsages times.
        var preparing = new NpgsqlConnectionStringBuilder(StatementPreparation.Apply(database.ConnectionString)) { Pooling = false };
        await using var db = new MeshDbContext(MeshDbContextOptions.Create(preparing.ConnectionString));
        await db.Database.OpenConnectionAsync();
        var reader = new ChangeLogReader(db);
        for (var call = 0; call < Executions; call++)
        {
            Assert.Equal(call % 3, (await reader.ReadAfterAsync(top - call % 3, 1000, CancellationToken.None)).Count);
            Assert.Equal([top - 30, top], (await reader.ReadAfterAsync(top - 1, [top - 30], 1000, CancellationToken.None)).Select(c => c.Seq));
        }

        // Both statements: the calls before the threshold run unprepared, then five custom plans, then the generic one.
        var prepared = Executions - (preparing.AutoPrepareMinUsages - 1);
        Assert.Equal((2L * CustomPlansFirst, 2L * (prepared - CustomPlansFirst)), await PlansAsync((NpgsqlConnection)db.Database.GetDbConnection()));
    }

    [Fact]
    public async Task ThePageWithHoles_StopsAtItsLimit_InOrder_HolesFirst()
    {
        await using var connection = await OpenWithChangesAsync();
        var top = await MaxSeqAsync(connection);
        await using var page = new NpgsqlCommand(ChangeLogPageSql.AfterTopOrHoles("seq", "$1", "$2", 3), connection);
        page.Parameters.Add(new NpgsqlParameter<long> { TypedValue = top - 10 });
        page.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [top - 12, top - 20] });

        Assert.Equal(new[] { top - 20, top - 12, top - 9 }, await ReadSeqsAsync(page));
    }

    /// <summary>A new session on a log of at least a few thousand rows, analysed, so that the planner has statistics to weigh.</summary>
    private async Task<NpgsqlConnection> OpenWithChangesAsync()
    {
        // Not pooled: a pooled connection would keep an earlier test's prepared statements, and their counts.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var fill = new NpgsqlCommand(
            """
            INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
            SELECT '111122223333', 'page-sql', 'virtualNode', '', 'node-' || i, 1, 'create', now() FROM generate_series(1, 5000) AS i;
            ANALYZE changes;
            """,
            connection);
        await fill.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task<long> MaxSeqAsync(NpgsqlConnection connection)
    {
        await using var max = new NpgsqlCommand("SELECT max(seq) FROM changes", connection);
        return (long)(await max.ExecuteScalarAsync())!;
    }

    /// <summary>The page's rows' numbers, in the order returned (the page's first column is seq).</summary>
    private static async Task<List<long>> ReadSeqsAsync(NpgsqlCommand page)
    {
        var seqs = new List<long>();
        await using var reader = await page.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            seqs.Add(reader.GetInt64(0));
        }

        return seqs;
    }

    /// <summary>How the session's prepared statements that read the log ran: (custom plans, generic plans).</summary>
    private static async Task<(long Custom, long Generic)> PlansAsync(NpgsqlConnection connection)
    {
        await using var plans = new NpgsqlCommand(
            "SELECT coalesce(sum(custom_plans), 0)::bigint, coalesce(sum(generic_plans), 0)::bigint FROM pg_prepared_statements WHERE strpos(statement, 'FROM changes') > 0",
            connection);
        await using var reader = await plans.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
