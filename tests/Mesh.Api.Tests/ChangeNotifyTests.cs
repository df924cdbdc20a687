using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Followers of the change feed hear of every change: resource writes through the API's ChangeNotifier (one NOTIFY
/// after their COMMITs, for however many committed meanwhile), every other writer through the changes table's trigger.
/// </summary>
public sealed class ChangeNotifyTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AResourceWrite_NotifiesAfterItCommits()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await using var listener = await ListenAsync();

        await mesh.NodeAsync("web");

        Assert.True(await listener.WaitAsync(Patience), "No NOTIFY after a create.");
        await using var count = new NpgsqlCommand("SELECT count(*) FROM changes WHERE mesh_name = $1 AND name = 'web'", listener)
        {
            Parameters = { new() { Value = mesh.Mesh } },
        };
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AnotherWriterOfChanges_IsStillNotifiedByTheTrigger()
    {
        await using var listener = await ListenAsync();
        await using var writer = new NpgsqlConnection(api.ConnectionString);
        await writer.OpenAsync();

        await InsertChangeAsync(writer, notifyAfterCommit: false);

        Assert.True(await listener.WaitAsync(Patience), "The trigger did not NOTIFY.");
    }

    [Fact]
    public async Task AWriterThatNotifiesAfterCommit_IsLeftOutByTheTrigger()
    {
        await using var listener = await ListenAsync();
        await using var writer = new NpgsqlConnection(api.ConnectionString);
        await writer.OpenAsync();

        await InsertChangeAsync(writer, notifyAfterCommit: true);

        Assert.False(await listener.WaitAsync(TimeSpan.FromSeconds(1)), "The trigger notified although the writer said it would.");
    }

    private async Task<NpgsqlConnection> ListenAsync()
    {
        var listener = new NpgsqlConnection(api.ConnectionString);
        await listener.OpenAsync();
        await using var listen = new NpgsqlCommand($"LISTEN {ChangeFeed.Channel}", listener);
        await listen.ExecuteNonQueryAsync();
        return listener;
    }

    private static async Task InsertChangeAsync(NpgsqlConnection writer, bool notifyAfterCommit)
    {
        await using var transaction = await writer.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(writer, transaction);
        if (notifyAfterCommit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT set_config('{ChangeFeed.NotifyAfterCommitSetting}', 'on', true)"));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
            VALUES ('111122223333', 'notify-test', 'mesh', '', 'notify-test', 1, 'update', now())
            """));
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
