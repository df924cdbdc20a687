using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The server's connections keep its statements prepared (<see cref="StatementPreparation"/>): its data source was
/// made from the connection string as written, so PostgreSQL parsed and planned the change feed's read of the log on
/// every NOTIFY. (What the pool does with a connection it gets back, and where the feed's LISTEN connection comes
/// from: <see cref="ConnectionPoolTests"/>.)
/// </summary>
public sealed class StatementPreparationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task TheChangeLogRead_RunsPrepared_OnTheServersConnections()
    {
        await using var host = await XdsTestHost.StartAsync(database.ConnectionString);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<MeshDbContext>>().CreateDbContextAsync(TaskTimeouts.Token());
        await db.Database.OpenConnectionAsync(TaskTimeouts.Token());
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var threshold = new NpgsqlConnectionStringBuilder(connection.ConnectionString).AutoPrepareMinUsages;

        const int Calls = 12;
        var log = new ChangeLogReader(db);
        for (var call = 0; call < Calls; call++)
        {
            await log.ReadAfterAsync(call, 1000, TaskTimeouts.Token());
        }

        // PostgreSQL counts each execution of a prepared statement as a generic or a custom plan.
        await using var count = new NpgsqlCommand(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE strpos(statement, 'FROM changes') > 0",
            connection);
        var preparedRuns = Convert.ToInt32(await count.ExecuteScalarAsync(TaskTimeouts.Token()));

        // The calls before the threshold run unprepared; the one that reaches it and every later one run prepared.
        Assert.Equal(Calls - (threshold - 1), preparedRuns);
    }
}
