using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Which shard row a create counts itself in (<c>mesh_count_created</c>, migration <c>QuotaShardWalkFromPick</c>):
/// the first one no other write holds from the shard the API picked, so that concurrent creates of one scope start
/// their search at different rows instead of all trying the rows the writes ahead of them hold; a shard is taken with an
/// advisory lock per (scope, shard), so that the first creates of a new scope do not wait for the rows each other is
/// still inserting (migration <c>QuotaShardAdvisoryLocks</c>). Each test counts in a scope of its own, directly against
/// the database.
/// </summary>
public sealed class QuotaShardTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string Kind = "virtualNode";

    [Fact]
    public async Task ACreate_CountsInThePickedShard_WhenNoOtherWriteHoldsIt()
    {
        var mesh = await ScopeWithEveryShardAsync();

        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            Assert.Equal(2, await CountCreatedAsync(writer, mesh, picked: 5));
            await transaction.CommitAsync();
        }

        Assert.Equal(1, await ShardCountAsync(mesh, 5));
        Assert.Equal(1, await ShardCountAsync(mesh, 0));
    }

    [Fact]
    public async Task ACreate_TakesTheNextShardUp_WhenThePickedOneIsHeld()
    {
        var mesh = await ScopeWithEveryShardAsync();

        await using var holder = await OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await CountCreatedAsync(holder, mesh, picked: 7);
        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            // The holder's count is not committed: this total leaves it out (it is one of the Shards - 1 the bound allows for).
            Assert.Equal(2, await CountCreatedAsync(writer, mesh, picked: 7));
            await transaction.CommitAsync();
        }
        await held.CommitAsync();

        Assert.Equal(1, await ShardCountAsync(mesh, 7));
        Assert.Equal(1, await ShardCountAsync(mesh, 8));
        Assert.Equal(3, await TotalAsync(mesh));
    }

    [Fact]
    public async Task ACreate_WrapsToTheLowestFreeShard_WhenEveryShardFromThePickedOneUpIsHeld()
    {
        var mesh = await ScopeWithEveryShardAsync();
        const short last = QuotaCounter.Shards - 1;

        await using var holder = await OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await CountCreatedAsync(holder, mesh, picked: last);
        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            await CountCreatedAsync(writer, mesh, picked: last);
            await transaction.CommitAsync();
        }
        await held.CommitAsync();

        Assert.Equal(1, await ShardCountAsync(mesh, last));
        Assert.Equal(2, await ShardCountAsync(mesh, 0));
        Assert.Equal(3, await TotalAsync(mesh));
    }

    [Fact]
    public async Task ADelete_UncountsInThePickedShard_WhenNoOtherWriteHoldsIt()
    {
        var mesh = await ScopeWithEveryShardAsync();

        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            await using var command = new NpgsqlCommand("SELECT mesh_count_deleted(@account, @mesh, @kind, '', @picked)", writer, transaction);
            command.Parameters.AddWithValue("account", ApiServer.AccountId);
            command.Parameters.AddWithValue("mesh", mesh);
            command.Parameters.AddWithValue("kind", Kind);
            command.Parameters.AddWithValue("picked", (short)12);
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        Assert.Equal(-1, await ShardCountAsync(mesh, 12));
        Assert.Equal(0, await TotalAsync(mesh));
    }

    [Fact]
    public async Task TheFirstCreatesOfANewScope_DoNotWaitForEachOther_WhileItsShardRowsAreMade()
    {
        // No row of this scope exists: the holder's count makes the picked shard's row and keeps it uncommitted, so the
        // row is invisible to the writer's snapshot. Before, the writer saw no row free, inserted the picked one, and
        // waited for the holder's commit; lock_timeout turns such a wait into an error instead of a hang.
        var mesh = "new-scope-" + Guid.NewGuid().ToString("N");

        await using var holder = await OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        Assert.Equal(1, await CountCreatedAsync(holder, mesh, picked: 3));
        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            await NoLockWaitsAsync(writer);
            Assert.Equal(1, await CountCreatedAsync(writer, mesh, picked: 3));
            await transaction.CommitAsync();
        }
        await held.CommitAsync();

        Assert.Equal(1, await ShardCountAsync(mesh, 3));
        Assert.Equal(1, await ShardCountAsync(mesh, 4));
        Assert.Equal(2, await TotalAsync(mesh));
    }

    [Fact]
    public async Task TheFirstDeletesOfANewScope_DoNotWaitForEachOther_WhileItsShardRowsAreMade()
    {
        var mesh = "new-scope-" + Guid.NewGuid().ToString("N");

        await using var holder = await OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await CountDeletedAsync(holder, mesh, picked: 30);
        await using (var writer = await OpenAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            await NoLockWaitsAsync(writer);
            await CountDeletedAsync(writer, mesh, picked: 30);
            await transaction.CommitAsync();
        }
        await held.CommitAsync();

        Assert.Equal(-1, await ShardCountAsync(mesh, 30));
        Assert.Equal(-1, await ShardCountAsync(mesh, 31));
        Assert.Equal(-2, await TotalAsync(mesh));
    }

    [Fact]
    public async Task TheExactCount_WaitsForEveryUncommittedCount_AndMakesEveryShardRow()
    {
        // The exact count must see every create of the scope committed: it waits for the holder's shard, then counts it.
        var mesh = "new-scope-" + Guid.NewGuid().ToString("N");

        await using var holder = await OpenAsync();
        var held = await holder.BeginTransactionAsync();
        Assert.Equal(1, await CountCreatedAsync(holder, mesh, picked: 9));
        await using var writer = await OpenAsync();
        var exact = CountCreatedAsync(writer, mesh, picked: 0, exact: true);
        await WaitUntilWaitingAsync(writer);
        Assert.False(exact.IsCompleted);
        await held.CommitAsync();
        await held.DisposeAsync();

        Assert.Equal(2, await exact);
        Assert.Equal(QuotaCounter.Shards, await RowsAsync(mesh));
        Assert.Equal(1, await ShardCountAsync(mesh, 9));
        Assert.Equal(1, await ShardCountAsync(mesh, 0));
    }

    [Fact]
    public async Task AsManyFirstCreatesOfANewScopeAsShards_AllCountWithoutWaiting_AndLaterOnesWaitForTheirPick()
    {
        // A create per shard of a new scope, all picking among 4 shards and held open until every one has counted (none
        // may wait: each takes a shard no other holds), then 8 more, which find every shard held and wait for their
        // picked one, as before.
        const int late = 8;
        var mesh = "new-scope-" + Guid.NewGuid().ToString("N");
        var writers = new List<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)>();
        for (var i = 0; i < QuotaCounter.Shards; i++)
        {
            var connection = await OpenAsync();
            writers.Add((connection, await connection.BeginTransactionAsync()));
            await NoLockWaitsAsync(connection);
        }

        await Task.WhenAll(writers.Select((w, i) => CountCreatedAsync(w.Connection, mesh, picked: (short)(i % 4))));
        var waiting = new List<Task>();
        for (var i = 0; i < late; i++)
        {
            var connection = await OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            waiting.Add(CountAndCommitAsync(connection, transaction, mesh, (short)i));
        }

        foreach (var (connection, transaction) in writers)
        {
            await transaction.CommitAsync();
            await connection.DisposeAsync();
        }

        await Task.WhenAll(waiting);
        Assert.Equal(QuotaCounter.Shards + late, await TotalAsync(mesh));
        Assert.Equal(QuotaCounter.Shards, await RowsAsync(mesh));
    }

    [Fact]
    public async Task TheOptimisticCount_AdmitsACreateExactlyWhileItsTotalPlusTheOtherShardsIsWithinTheQuota()
    {
        // Migration FewerStatementsPerWrite reads the total in the shard's UPDATE (a sum in RETURNING, over the
        // statement's snapshot, + 1 for its own increment) instead of a SELECT after it: the bound must be where it was.
        var mesh = await ScopeWithEveryShardAsync();
        await using var writer = await OpenAsync();

        await using (var transaction = await writer.BeginTransactionAsync())
        {
            // Total 2 with this create; 2 + 31 others that may be uncommitted = 33.
            Assert.Equal(2, await CountCreatedAsync(writer, mesh, picked: 3, quota: 1 + QuotaCounter.Shards));
            await transaction.RollbackAsync();
        }

        await using (var transaction = await writer.BeginTransactionAsync())
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => CountCreatedAsync(writer, mesh, picked: 3, quota: QuotaCounter.Shards));
            Assert.Equal(QuotaCounter.NearLimitState, refused.SqlState);
        }

        Assert.Equal(1, await TotalAsync(mesh));
    }

    private static async Task CountAndCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string mesh, short picked)
    {
        await using (connection)
        {
            await CountCreatedAsync(connection, mesh, picked);
            await transaction.CommitAsync();
        }
    }

    /// <summary>Makes any lock wait of <paramref name="connection"/> fail (55P03) rather than wait: the count must take no lock another write holds.</summary>
    private static async Task NoLockWaitsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SET LOCAL lock_timeout = '5s'", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Until PostgreSQL shows <paramref name="connection"/>'s backend waiting for a lock (polled, not timed).</summary>
    private async Task WaitUntilWaitingAsync(NpgsqlConnection connection)
    {
        await using var watcher = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid", watcher);
        command.Parameters.AddWithValue("pid", connection.ProcessID);
        while (await command.ExecuteScalarAsync() is not true)
        {
            await Task.Delay(20);
        }
    }

    private static async Task CountDeletedAsync(NpgsqlConnection connection, string mesh, short picked)
    {
        await using var command = new NpgsqlCommand("SELECT mesh_count_deleted(@account, @mesh, @kind, '', @picked)", connection);
        command.Parameters.AddWithValue("account", ApiServer.AccountId);
        command.Parameters.AddWithValue("mesh", mesh);
        command.Parameters.AddWithValue("kind", Kind);
        command.Parameters.AddWithValue("picked", picked);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> RowsAsync(string mesh)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM resource_counts WHERE account_id = @account AND mesh_name = @mesh AND kind = @kind AND parent_name = ''",
            connection);
        command.Parameters.AddWithValue("account", ApiServer.AccountId);
        command.Parameters.AddWithValue("mesh", mesh);
        command.Parameters.AddWithValue("kind", Kind);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A new scope whose every shard row exists (the exact count makes them all), counted once in shard 0.</summary>
    private async Task<string> ScopeWithEveryShardAsync()
    {
        var mesh = "shards-" + Guid.NewGuid().ToString("N");
        await using var connection = await OpenAsync();
        Assert.Equal(1, await CountCreatedAsync(connection, mesh, picked: 0, exact: true));
        return mesh;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<long> CountCreatedAsync(NpgsqlConnection connection, string mesh, short picked, bool exact = false, long quota = 1000000)
    {
        await using var command = new NpgsqlCommand(
            "SELECT mesh_count_created(@account, @mesh, @kind, '', @picked, @shards, @quota, @exact)", connection);
        command.Parameters.AddWithValue("quota", quota);
        command.Parameters.AddWithValue("account", ApiServer.AccountId);
        command.Parameters.AddWithValue("mesh", mesh);
        command.Parameters.AddWithValue("kind", Kind);
        command.Parameters.AddWithValue("picked", picked);
        command.Parameters.AddWithValue("shards", QuotaCounter.Shards);
        command.Parameters.AddWithValue("exact", exact);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<int> ShardCountAsync(string mesh, short shard)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count FROM resource_counts WHERE account_id = @account AND mesh_name = @mesh AND kind = @kind AND parent_name = '' AND shard = @shard",
            connection);
        command.Parameters.AddWithValue("account", ApiServer.AccountId);
        command.Parameters.AddWithValue("mesh", mesh);
        command.Parameters.AddWithValue("kind", Kind);
        command.Parameters.AddWithValue("shard", shard);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> TotalAsync(string mesh)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT sum(count) FROM resource_counts WHERE account_id = @account AND mesh_name = @mesh AND kind = @kind AND parent_name = ''",
            connection);
        command.Parameters.AddWithValue("account", ApiServer.AccountId);
        command.Parameters.AddWithValue("mesh", mesh);
        command.Parameters.AddWithValue("kind", Kind);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
