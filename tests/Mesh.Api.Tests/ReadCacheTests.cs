using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Describe answered from memory behind a read barrier (<c>Mesh:ReadCache</c>, <see cref="ReadBarrier"/>,
/// <see cref="KeptAnswers"/>): a Describe that starts after a write was answered sees it, whoever wrote it (this
/// replica, another API host on the same database, or a transaction of its own), a delete is NotFound at once, a
/// change that commits after one with a higher number is still seen, and a barrier that cannot read the log serves
/// nothing from memory. Each Describe is read twice first, so its answer is kept before the write.
/// </summary>
public sealed class ReadCacheTests(ReadCacheTests.Replicas replicas) : IClassFixture<ReadCacheTests.Replicas>
{
    private ApiServer Api => replicas.Primary;

    private ApiServer Other => replicas.Secondary;

    private KeptAnswers Kept => Api.Services.GetRequiredService<KeptAnswers>();

    [Fact]
    public async Task AWriteByThisReplica_ThenADescribe_SeesIt()
    {
        var (mesh, id) = await KeptNodeAsync("n");

        (await Api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh, "n"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();

        var node = await DescribeAsync(Api, mesh, "n");
        Assert.Equal(2, Version(node));
        Assert.Equal(9090, Port(node));
        Assert.True(Kept.TryGet(ApiServer.AccountId, id, out _));
        Assert.Equal(node.ToJsonString(), (await DescribeAsync(Api, mesh, "n")).ToJsonString()); // now the kept answer
    }

    [Fact]
    public async Task AWriteByAnotherReplica_ThenADescribe_SeesIt()
    {
        var (mesh, _) = await KeptNodeAsync("n");

        (await Other.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh, "n"), new JsonObject { ["spec"] = Specs.VirtualNode(9191) })).AssertOk();

        var node = await DescribeAsync(Api, mesh, "n");
        Assert.Equal(2, Version(node));
        Assert.Equal(9191, Port(node));
    }

    [Fact]
    public async Task ADelete_ThenADescribe_IsNotFound_OnEitherReplica()
    {
        var builder = await MeshBuilder.CreateAsync(Api);
        var (mesh, _) = await KeptNodeAsync("here", builder);
        await KeptNodeAsync("there-too", builder);

        (await Api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh, "here"))).AssertOk();
        (await Api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "here"))).AssertError(404, "NotFoundException");

        (await Other.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh, "there-too"))).AssertOk();
        (await Api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "there-too"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task AChangeThatCommitsAfterALaterNumber_IsSeen()
    {
        var (mesh, first) = await KeptNodeAsync("early");
        (await Api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), new JsonObject { ["virtualNodeName"] = "late", ["spec"] = Specs.VirtualNode() })).AssertOk();
        await DescribeAsync(Api, mesh, "late");

        // A writer of its own takes its change-log number first and commits last: another replica's write takes a
        // higher number and commits in between, and a barrier reads it while the first number is still missing.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await UpdateInSqlAsync(connection, first, 7070);

        (await Other.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh, "late"), new JsonObject { ["spec"] = Specs.VirtualNode(9292) })).AssertOk();
        Assert.Equal(2, Version(await DescribeAsync(Api, mesh, "late")));
        Assert.Equal(1, Version(await DescribeAsync(Api, mesh, "early"))); // not committed: still the kept answer
        Assert.Contains(Barrier.Holes, hole => hole < Barrier.Top);

        await transaction.CommitAsync();

        var node = await DescribeAsync(Api, mesh, "early");
        Assert.Equal(2, Version(node));
        Assert.Equal(7070, Port(node));
    }

    [Fact]
    public async Task WhenTheBarrierCannotReadTheLog_DescribeReadsPostgres_AndServesNothingKept()
    {
        var (mesh, id) = await KeptNodeAsync("n");
        var failures = Barrier.Failures;

        // The log out of reach (renamed): the row changes meanwhile, its change-log row written where the log will be again.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, "ALTER TABLE changes RENAME TO changes_away");
        try
        {
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await UpdateInSqlAsync(connection, id, 6060, log: "changes_away");
                await transaction.CommitAsync();
            }

            var node = await DescribeAsync(Api, mesh, "n");
            Assert.Equal(2, Version(node));
            Assert.Equal(6060, Port(node));
            Assert.True(Barrier.Failures > failures);
        }
        finally
        {
            await ExecuteAsync(connection, "ALTER TABLE changes_away RENAME TO changes");
        }

        Assert.Equal(2, Version(await DescribeAsync(Api, mesh, "n")));
    }

    [Fact]
    public async Task MoreThanAPageOfHolesFilledAtOnce_AreAllReadByOneBarrier()
    {
        var (mesh, id) = await KeptNodeAsync("beyond-the-page");
        await NoHolesLeftAsync();

        // A writer of its own takes more numbers than a barrier's page holds (rows naming nodes nobody keeps), then the
        // node's change, the last of them; another replica's write commits a higher number while it runs, so a barrier
        // sees them all as holes.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, $"""
            INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
            SELECT '{ApiServer.AccountId}', '{mesh}', 'virtualNode', '', 'filler-' || i, 1, 'create', now()
            FROM generate_series(1, {ReadBarrier.BatchSize}) AS i
            """);
        await UpdateInSqlAsync(connection, id, 7171);
        (await Other.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), new JsonObject { ["virtualNodeName"] = "later", ["spec"] = Specs.VirtualNode() })).AssertOk();
        Assert.Equal(1, Version(await DescribeAsync(Api, mesh, "beyond-the-page"))); // not committed: still the kept answer
        Assert.True(Barrier.Holes.Count > ReadBarrier.BatchSize);

        await transaction.CommitAsync();

        // One barrier reads the filled holes in two pages: the node's change is on the second.
        var node = await DescribeAsync(Api, mesh, "beyond-the-page");
        Assert.Equal(2, Version(node));
        Assert.Equal(7171, Port(node));
        Assert.Empty(Barrier.Holes);
    }

    [Fact]
    public async Task ANumberWhoseTransactionRolledBack_IsGivenUpWithinTwoBarriers_AndNothingKeptIsDropped()
    {
        var (mesh, id) = await KeptNodeAsync("stays-kept");
        await NoHolesLeftAsync();

        // With no hole, a barrier reads no list of writers.
        var lists = Barrier.WriterLists;
        await Barrier.PassAsync();
        await Barrier.PassAsync();
        Assert.Equal(lists, Barrier.WriterLists);

        // A writer takes a number and rolls back after another replica's write committed a higher one.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, $"""
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES ('{ApiServer.AccountId}', '{mesh}', 'virtualNode', '', 'rolled-back', 1, 'create', now())
                """);
            (await Other.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), new JsonObject { ["virtualNodeName"] = "committed", ["spec"] = Specs.VirtualNode() })).AssertOk();
            await Barrier.PassAsync(); // sees the hole
            Assert.NotEmpty(Barrier.Holes);
            await transaction.RollbackAsync();
        }

        // The barrier after the one that saw it lists the writers (none is left); the one after that gives it up.
        // GapTimeout is an hour here: only the writers' end can give it up.
        await Barrier.PassAsync();
        await Barrier.PassAsync();
        Assert.Empty(Barrier.Holes);
        Assert.True(Barrier.WriterLists > lists);
        Assert.True(Kept.TryGet(ApiServer.AccountId, id, out _)); // nothing was dropped
        Assert.Equal(1, Version(await DescribeAsync(Api, mesh, "stays-kept")));

        // Once no hole is left, no list again.
        lists = Barrier.WriterLists;
        await Barrier.PassAsync();
        await Barrier.PassAsync();
        Assert.Equal(lists, Barrier.WriterLists);
    }

    /// <summary>
    /// A change whose log row was pruned before any barrier read it (an API that served no Describe, or could not reach
    /// the database, for about Mesh:Retention:ChangeLog) is seen by the first Describe after, not only once a later
    /// barrier has listed the writers: the barrier that first finds the pruned number missing drops every kept answer.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task AChangeWhoseLogRowWasPrunedBeforeABarrierReadIt_DropsEveryKeptAnswer(int barriersBefore)
    {
        var (mesh, id) = await KeptNodeAsync($"pruned-unread-{barriersBefore}");
        var (_, other) = await KeptNodeAsync($"also-kept-{barriersBefore}");
        await NoHolesLeftAsync();

        // One transaction updates the node, writes a later change-log row, and prunes the node's row as the retention
        // does (recording its number in settings): barriers see the later row only, the node's number as a hole.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        try
        {
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await UpdateInSqlAsync(connection, id, 7373);
                await ExecuteAsync(connection, $"""
                    WITH pruned AS (SELECT max(seq) AS seq FROM changes)
                    INSERT INTO settings (key, value) SELECT '{ChangeLogRetention.PrunedThroughSetting}', seq::text FROM pruned
                    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                    """);
                await ExecuteAsync(connection, $"""
                    INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                    VALUES ('{ApiServer.AccountId}', '{mesh}', 'virtualNode', '', 'later', 1, 'create', now())
                    """);
                await ExecuteAsync(connection, $"DELETE FROM changes WHERE seq = (SELECT value::bigint FROM settings WHERE key = '{ChangeLogRetention.PrunedThroughSetting}')");
                await transaction.CommitAsync();
            }

            // The hole was a row no barrier read, so nothing kept is trusted.
            for (var i = 0; i < barriersBefore; i++)
            {
                await Barrier.PassAsync();
            }

            var node = await DescribeAsync(Api, mesh, $"pruned-unread-{barriersBefore}");
            Assert.Equal(2, Version(node));
            Assert.Equal(7373, Port(node));
            Assert.False(Kept.TryGet(ApiServer.AccountId, other, out _));
            Assert.Empty(Barrier.Holes);
        }
        finally
        {
            await ExecuteAsync(connection, $"DELETE FROM settings WHERE key = '{ChangeLogRetention.PrunedThroughSetting}'");
        }
    }

    [Fact]
    public async Task AMigrationThatRewritesAResourceWithoutAChangeRow_DropsEveryKeptAnswer()
    {
        var (mesh, id) = await KeptNodeAsync("rewritten");
        var (_, other) = await KeptNodeAsync("not-rewritten");

        // What a migration may do: rewrite a row without a change-log row, and record itself in EF Core's history.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        try
        {
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await UpdateInSqlAsync(connection, id, 7272, log: null);
                await ExecuteAsync(connection, $"""INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion") VALUES ('{TestMigration}', 'test')""");
                await transaction.CommitAsync();
            }

            var node = await DescribeAsync(Api, mesh, "rewritten");
            Assert.Equal(2, Version(node));
            Assert.Equal(7272, Port(node));
            Assert.False(Kept.TryGet(ApiServer.AccountId, other, out _));
        }
        finally
        {
            await ExecuteAsync(connection, $"""DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" = '{TestMigration}'""");
        }
    }

    // Above every real migration's id (a timestamp), so it is the last one applied while it is there.
    private const string TestMigration = "99991231235959_ReadCacheTests";

    [Fact]
    public async Task DescribesThatArriveTogether_ShareBarriers()
    {
        var barrier = Barrier;
        await barrier.PassAsync();
        var before = barrier.Count;

        // Asked for all at once: the first starts a barrier, the rest wait for the one after it.
        const int describes = 32;
        var passes = Enumerable.Range(0, describes).Select(_ => barrier.PassAsync()).ToList();
        var epochs = await Task.WhenAll(passes);

        Assert.All(epochs, epoch => Assert.NotNull(epoch));
        Assert.InRange(barrier.Count - before, 1, describes / 2);
    }

    [Fact]
    public async Task ABarrierAskedForWhileOneIsInFlight_IsSentAtOnce_UpToTheLimit_AndLaterOnesShareTheNext()
    {
        var barrier = Barrier;
        await barrier.PassAsync();
        await NoneInFlightAsync(barrier); // still counted, it would leave one slot where the test needs two
        var before = barrier.Count;

        // The log locked, so no barrier can end until the lock is let go: what is in flight then is what was sent.
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        List<Task<long?>> passes;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, "LOCK TABLE changes IN ACCESS EXCLUSIVE MODE");
            passes = [barrier.PassAsync(), barrier.PassAsync()];
            Assert.Equal(2, barrier.InFlight); // the second did not wait for the first (Mesh:ReadCache:BarriersInFlight 2)
            Assert.Equal(before + 2, barrier.Count);

            passes.AddRange(Enumerable.Range(0, 10).Select(_ => barrier.PassAsync()));
            Assert.Equal(2, barrier.InFlight); // the limit: these ten wait for one barrier, sent when a slot is free
            Assert.Equal(before + 2, barrier.Count);
            Assert.DoesNotContain(passes, pass => pass.IsCompleted);
            await transaction.CommitAsync();
        }

        var epochs = await Task.WhenAll(passes);
        Assert.All(epochs, epoch => Assert.NotNull(epoch));
        Assert.Equal(before + 3, barrier.Count);
        await NoneInFlightAsync(barrier);
    }

    /// <summary>
    /// Waits until no barrier is in flight, and fails if one stays: a pass returns once its barrier is done, and the
    /// barrier leaves the in-flight count just after, on its own thread.
    /// </summary>
    private static async Task NoneInFlightAsync(ReadBarrier barrier)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (barrier.InFlight > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(0, barrier.InFlight);
    }

    [Theory]
    [InlineData(true)] // the primary's pipelined barriers
    [InlineData(false)] // the secondary's, one at a time
    public async Task DescribesRacingAnotherReplicasUpdates_NeverAnswerOlderThanAnUpdateAnsweredBeforeThey_Started(bool onPrimary)
    {
        var (reader, writer) = onPrimary ? (Api, Other) : (Other, Api);
        var mesh = await MeshBuilder.CreateAsync(Api);
        await mesh.NodeAsync("raced", Specs.VirtualNode(8080));
        Assert.Equal(1, Version(await DescribeAsync(reader, mesh.Mesh, "raced")));
        long answered = 1; // the newest version whose update was answered
        var stale = new List<string>();
        var describes = 0;
        using var done = new CancellationTokenSource();

        var writing = Task.Run(async () =>
        {
            try
            {
                for (var port = 1; port <= 60; port++)
                {
                    var updated = (await writer.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "raced"), new JsonObject { ["spec"] = Specs.VirtualNode(9000 + port) })).AssertOk().Body!;
                    Interlocked.Exchange(ref answered, Version(updated));

                    // At least one Describe ends between two updates, however a loaded machine schedules the readers:
                    // without it a fast writer could finish its 60 updates before the readers raced any of them.
                    // Bounded, so readers that failed fail the test instead of hanging it.
                    var seen = Volatile.Read(ref describes);
                    using var stalled = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                    while (Volatile.Read(ref describes) == seen)
                    {
                        await Task.Delay(1, stalled.Token);
                    }
                }
            }
            finally
            {
                await done.CancelAsync();
            }
        });
        var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var floor = Interlocked.Read(ref answered);
                var version = Version(await DescribeAsync(reader, mesh.Mesh, "raced"));
                Interlocked.Increment(ref describes);
                if (version < floor)
                {
                    lock (stale)
                    {
                        stale.Add($"{version} after {floor} was answered");
                    }
                }
            }
        })).ToList();

        await writing;
        await Task.WhenAll(readers);
        Assert.Empty(stale);
        Assert.Equal(61, Version(await DescribeAsync(reader, mesh.Mesh, "raced")));
    }

    private ReadBarrier Barrier => Api.Services.GetRequiredService<ReadBarrier>();

    /// <summary>Passes barriers until none has a hole (a hole an earlier test left is filled or given up within a few).</summary>
    private async Task NoHolesLeftAsync()
    {
        for (var i = 0; i < 5 && Barrier.Holes.Count > 0; i++)
        {
            await Barrier.PassAsync();
        }

        await Barrier.PassAsync();
        Assert.Empty(Barrier.Holes);
    }

    /// <summary>A new mesh (or <paramref name="inMesh"/>) with the node <paramref name="name"/>, described twice on the primary so its answer is kept.</summary>
    private async Task<(string Mesh, ResourceId Id)> KeptNodeAsync(string name, MeshBuilder? inMesh = null)
    {
        var mesh = inMesh ?? await MeshBuilder.CreateAsync(Api);
        await mesh.NodeAsync(name, Specs.VirtualNode(8080));
        var id = new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", name);
        Assert.Equal(1, Version(await DescribeAsync(Api, mesh.Mesh, name)));
        Assert.Equal(1, Version(await DescribeAsync(Api, mesh.Mesh, name)));
        Assert.True(Kept.TryGet(ApiServer.AccountId, id, out _));
        return (mesh.Mesh, id);
    }

    /// <summary>
    /// What mesh_update_resource does, in SQL on the caller's connection and transaction: the row's next version with
    /// a new listener port, and its change-log row (in <paramref name="log"/>; none when null, as a migration might).
    /// </summary>
    private static async Task UpdateInSqlAsync(NpgsqlConnection connection, ResourceId id, int port, string? log = "changes")
    {
        const string Update = """
            UPDATE resources SET spec = $6::jsonb, version = version + 1, last_updated_at = now()
            WHERE account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4 AND name = $5
            """;
        await using var command = new NpgsqlCommand(log is null ? Update : $"""
            WITH updated AS ({Update}
                RETURNING account_id, mesh_name, kind, parent_name, name, version)
            INSERT INTO {log} (account_id, mesh_name, kind, parent_name, name, version, operation, at)
            SELECT account_id, mesh_name, kind, parent_name, name, version, 'update', now() FROM updated
            """, connection)
        {
            Parameters =
            {
                new() { Value = ApiServer.AccountId }, new() { Value = id.MeshName }, new() { Value = id.Kind.WireName },
                new() { Value = id.ParentName }, new() { Value = id.Name }, new() { Value = Specs.VirtualNode(port).ToJsonString() },
            },
        };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<JsonNode> DescribeAsync(ApiServer api, string mesh, string name) =>
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, name))).AssertOk().Body!;

    private static long Version(JsonNode node) => node["metadata"]!["version"]!.GetValue<long>();

    private static int Port(JsonNode node) => node["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>();

    /// <summary>
    /// Two API hosts on one database, both with <c>Mesh:ReadCache</c> on; the primary waits an hour for a hole
    /// (<c>GapTimeout</c>), so only the exact rule gives one up while a test runs, however slowly, and sends up to two
    /// barriers at once (<c>BarriersInFlight</c>).
    /// </summary>
    public sealed class Replicas : IAsyncLifetime
    {
        public ApiServer Primary { get; } = new CachedApiServer();

        public ApiServer Secondary { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Primary.Settings["Mesh:ReadCache:GapTimeout"] = "01:00:00";
            Primary.Settings["Mesh:ReadCache:BarriersInFlight"] = "2"; // pipelined; the secondary keeps the default, one
            await Primary.InitializeAsync();
            Secondary = new CachedApiServer(Primary);
            await Secondary.InitializeAsync();
        }

        public async Task DisposeAsync()
        {
            await Secondary.DisposeAsync();
            await Primary.DisposeAsync();
        }
    }
}
