using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// The resource writes' statements sent multiplexed (<c>Mesh:WriteMultiplexing</c>, <see cref="WriteDatabase"/>): many
/// writes share a connection, and each is still a transaction of its own, committed or rolled back alone at its own Sync,
/// with its own answer (<see cref="MultiplexedWriteDeadlineTests"/>: a write whose caller stopped waiting).
/// </summary>
public sealed class WriteMultiplexingTests(WriteMultiplexingTests.MultiplexedApi fixture) : IClassFixture<WriteMultiplexingTests.MultiplexedApi>
{
    private readonly MultiplexedApi api = fixture;

    [Fact]
    public void TheWritesStatements_AreMultiplexed_EFCoresPoolIsNot_AndTheConnectionStringWins()
    {
        Assert.True(new MeshApiOptions().WriteMultiplexing);

        // The running API's effective connection strings: the statements multiplexed, in sessions at READ COMMITTED;
        // EF Core's transactions in a pool of their own, not multiplexed.
        var writes = api.Server.Services.GetRequiredService<WriteDatabase>();
        Assert.True(writes.Multiplexed);
        var statements = new NpgsqlConnectionStringBuilder(writes.Statements.ConnectionString);
        Assert.True(statements.Multiplexing);
        Assert.EndsWith(ApiConnectionString.ReadCommitted, statements.Options, StringComparison.Ordinal);
        Assert.NotSame(writes.Source, writes.Statements);
        Assert.False(new NpgsqlConnectionStringBuilder(writes.Source.ConnectionString).Multiplexing);

        // Off, or what the operator wrote in the connection string, wins.
        var tuned = ApiConnectionString.Tune(api.Server.ConnectionString);
        Assert.False(new NpgsqlConnectionStringBuilder(ApiConnectionString.ForWriteStatements(tuned, multiplexing: false)).Multiplexing);
        Assert.False(new NpgsqlConnectionStringBuilder(ApiConnectionString.ForWriteStatements(tuned + ";Multiplexing=false", multiplexing: true)).Multiplexing);
        Assert.True(new NpgsqlConnectionStringBuilder(ApiConnectionString.ForWriteStatements(tuned + ";Multiplexing=true", multiplexing: false)).Multiplexing);
    }

    [Fact]
    public async Task WritesSharingOneConnection_EachCommitOrRollBackAlone_WithTheirOwnAnswers()
    {
        var connectionString = ApiConnectionString.Tune(api.Server.ConnectionString + ";Maximum Pool Size=1");
        var source = NpgsqlDataSource.Create(ApiConnectionString.ForWriteStatements(connectionString, multiplexing: true));
        await using var database = new WriteDatabase(source, source);
        Assert.True(database.Multiplexed);
        await using (var create = source.CreateCommand("CREATE TABLE multiplexed_writes (value integer PRIMARY KEY)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        // A lock the writes wait for, so that they pile up on the pool's one connection behind the first; every third
        // fails (division by zero) after its INSERT.
        await using var holder = new NpgsqlConnection(api.Server.ConnectionString);
        await holder.OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE multiplexed_writes IN SHARE MODE", holder, held))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var statement = new WriteStatement("""
            WITH written AS (INSERT INTO multiplexed_writes (value) VALUES ($1) RETURNING value)
            SELECT value, 1 / (value % 3), pg_backend_pid(), pg_current_xact_id()::text FROM written
            """);
        var writes = Enumerable.Range(1, 30).Select(value => Task.Run(() => database.CommitAsync(statement.Rent().Value(value), CancellationToken.None))).ToList();
        await WaitUntilASessionWaitsForAsync(api.Server.ConnectionString, holder.ProcessID);
        await held.CommitAsync();

        var answered = new List<object?[]>();
        for (var value = 1; value <= writes.Count; value++)
        {
            if (value % 3 == 0)
            {
                var failed = await Assert.ThrowsAsync<PostgresException>(() => writes[value - 1]);
                Assert.Equal(PostgresErrorCodes.DivisionByZero, failed.SqlState);
            }
            else
            {
                var row = (await writes[value - 1])!;
                Assert.Equal(value, row[0]);
                answered.Add(row);
            }
        }

        // One connection, one backend: and each write was a transaction of its own there (its own xid), the failed ones
        // rolled back alone (their rows are not there, every other row is).
        Assert.Single(answered.Select(row => row[2]).Distinct());
        Assert.Equal(answered.Count, answered.Select(row => row[3]).Distinct().Count());
        await using var read = source.CreateCommand("SELECT array_agg(value ORDER BY value) FROM multiplexed_writes");
        Assert.Equal(Enumerable.Range(1, 30).Where(v => v % 3 != 0).ToArray(), (int[])(await read.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ConcurrentCreates_SomeRefused_AreEachAnsweredForThemselves()
    {
        var mesh = await api.MeshAsync();

        // Each name twice at once: one create of each pair commits, the other is refused (the name is taken), and every
        // answer is its own request's.
        var creates = Enumerable.Range(0, 24).Select(i => (Name: $"n{i / 2}", Task: Task.Run(() => api.Server.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh),
            new JsonObject { ["virtualNodeName"] = $"n{i / 2}", ["spec"] = Specs.VirtualNode(9000 + i) })))).ToList();
        var answered = (await Task.WhenAll(creates.Select(c => c.Task))).Zip(creates, (answer, create) => (create.Name, Answer: answer));

        foreach (var pair in answered.GroupBy(c => c.Name))
        {
            var answers = pair.Select(c => c.Answer).ToList();
            var created = Assert.Single(answers, a => a.Status == 200);
            Assert.Equal(pair.Key, created.Body!["virtualNodeName"]!.GetValue<string>());
            var refused = Assert.Single(answers, a => a.Status != 200);
            refused.AssertError(409, "ConflictException");
            Assert.Contains($"'{pair.Key}'", refused.Message, StringComparison.Ordinal);
            var described = (await api.Server.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, pair.Key))).AssertOk();
            Assert.Equal(created.Body!["spec"]!.ToJsonString(), described.Body!["spec"]!.ToJsonString());
        }
    }

    /// <summary>Waits until a session of the database <paramref name="connectionString"/> names waits for a lock <paramref name="holder"/> holds.</summary>
    internal static async Task WaitUntilASessionWaitsForAsync(string connectionString, int holder)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))", connection);
        waiting.Parameters.Add(new NpgsqlParameter<int> { TypedValue = holder });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((long)(await waiting.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>An API whose writes are multiplexed, whatever the default.</summary>
    public sealed class MultiplexedApi : IAsyncLifetime
    {
        public ApiServer Server { get; } = new();

        public MultiplexedApi() => Server.Settings["Mesh:WriteMultiplexing"] = "true";

        public Task InitializeAsync() => Server.InitializeAsync();

        public Task DisposeAsync() => Server.DisposeAsync();

        public async Task<string> MeshAsync() => (await MeshBuilder.CreateAsync(Server)).Mesh;
    }
}
