using Mesh.Api.Resources;
using Mesh.Testing;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A write statement stays prepared on its connection whichever of its values are missing. Npgsql auto-prepares a
/// statement with the parameter types of the call that reached its threshold and runs every later call whose types
/// differ unprepared, so a NULL sent as type unknown (a create without a clientToken, a route without a port) once made
/// every create with one parsed, analysed and planned again by PostgreSQL on that connection.
/// </summary>
public sealed class WriteStatementPreparationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Sql = "SELECT $1::text IS NULL, $2::integer, cardinality($3)";

    [Fact]
    public async Task Calls_WithAndWithoutTheirNullableValues_AllRunPrepared_AfterTheThreshold()
    {
        var tuned = ApiConnectionString.Tune(database.ConnectionString);
        var threshold = new NpgsqlConnectionStringBuilder(tuned).AutoPrepareMinUsages;
        await using var source = NpgsqlDataSource.Create(tuned);
        await using var connection = await source.OpenConnectionAsync();
        var statement = new WriteStatement(Sql);

        const int Calls = 16;
        for (var call = 0; call < Calls; call++)
        {
            // The first calls leave the values out, as the calls that made the statement prepared did in the load run.
            var missing = call < threshold || call % 2 == 0;
            var parameters = statement.Rent()
                .Text(missing ? null : "token")
                .Integer(missing ? null : 8080)
                .TextArray(missing ? null : ["virtualNode"]);
            var row = (await WriteBatch.CommitAsync(connection, parameters, CancellationToken.None))!;
            Assert.Equal(missing, row[0]);
            Assert.Equal(missing ? null : 8080, row[1]);
        }

        // PostgreSQL counts each execution of a prepared statement as a generic or a custom plan.
        await using var count = new NpgsqlCommand(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement = $1", connection)
        {
            Parameters = { new() { Value = Sql } },
        };
        var preparedRuns = Convert.ToInt32(await count.ExecuteScalarAsync());

        // The calls before the threshold run unprepared; the one that reaches it and every later one run prepared.
        Assert.Equal(Calls - (threshold - 1), preparedRuns);
    }
}
