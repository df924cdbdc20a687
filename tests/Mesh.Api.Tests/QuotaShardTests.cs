using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Which shard row a create counts itself in (<c>mesh_count_created</c>, migration <c>QuotaShardWalkFromPick</c>):
/// the first one no other write holds from the shard the API picked, so that concurrent creates of one scope start
/// their search at different rows instead of all trying the rows the writes ahead of them hold. Each test counts in a
/// scope of its own, directly against the database.
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

    private static async Task<long> CountCreatedAsync(NpgsqlConnection connection, string mesh, short picked, bool exact = false)
    {
        await using var command = new NpgsqlCommand(
            "SELECT mesh_count_created(@account, @mesh, @kind, '', @picked, @shards, 1000000, @exact)", connection);
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
