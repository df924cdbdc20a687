using System.Diagnostics.Metrics;
using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
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

    [Fact]
    public async Task WritesWithinTheNotifyInterval_ShareTheNextNotify()
    {
        // A database of its own: no other test's writes can NOTIFY on it.
        var database = await (await PostgresServer.GetSharedAsync()).CreateDatabaseAsync();
        await using var listener = await ListenAsync(database);
        await using var notifier = await StartNotifierAsync(database, TimeSpan.FromHours(1));

        notifier.Changed();
        Assert.True(await listener.WaitAsync(Patience), "No NOTIFY after the first write.");
        notifier.Changed();

        Assert.False(await listener.WaitAsync(TimeSpan.FromSeconds(1)), "A second NOTIFY came within the interval.");
    }

    [Fact]
    public async Task WithNoNotifyInterval_EachWriteAfterTheLastNotifyGetsOne()
    {
        var database = await (await PostgresServer.GetSharedAsync()).CreateDatabaseAsync();
        await using var listener = await ListenAsync(database);
        await using var notifier = await StartNotifierAsync(database, TimeSpan.Zero);

        notifier.Changed();
        Assert.True(await listener.WaitAsync(Patience), "No NOTIFY after the first write.");
        notifier.Changed();

        Assert.True(await listener.WaitAsync(Patience), "No NOTIFY after the second write.");
    }

    private static async Task<RunningNotifier> StartNotifierAsync(string database, TimeSpan interval)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), TestMeters.UniqueName());
        var notifier = new ChangeNotifier(NpgsqlDataSource.Create(database), interval, TimeProvider.System, metrics, NullLogger<ChangeNotifier>.Instance);
        await notifier.StartAsync(CancellationToken.None);
        return new RunningNotifier(notifier, metrics, services);
    }

    private sealed class RunningNotifier(ChangeNotifier notifier, ApiMetrics metrics, ServiceProvider services) : IAsyncDisposable
    {
        public void Changed() => notifier.Changed();

        public async ValueTask DisposeAsync()
        {
            await notifier.StopAsync(CancellationToken.None);
            notifier.Dispose();
            metrics.Dispose();
            await services.DisposeAsync();
        }
    }

    private Task<NpgsqlConnection> ListenAsync() => ListenAsync(api.ConnectionString);

    private static async Task<NpgsqlConnection> ListenAsync(string connectionString)
    {
        var listener = new NpgsqlConnection(connectionString);
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
