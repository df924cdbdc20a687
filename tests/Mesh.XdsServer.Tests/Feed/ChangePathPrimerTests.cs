using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// The change path primed at start (<see cref="IChangePathPrimer"/>): it runs once, after the first load and before
/// the feed reports itself loaded (so before a proxy is let in), it changes nothing a proxy or the feed can see,
/// and a failure of it is logged and counted while the server serves as without it.
/// </summary>
public sealed class ChangePathPrimerTests
{
    private const string PrimeFailures = "mesh_xds_feed_prime_failures_total";

    [Fact]
    public async Task It_Runs_Once_Before_The_Feed_Is_Loaded_And_Changes_Nothing()
    {
        var store = await ChangeFeedTests.NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        var before = await LogAndRowsAsync(store);
        RecordingPrimer? primer = null;
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString, services: s => s.AddSingleton<IChangePathPrimer>(sp =>
            primer = new RecordingPrimer(sp.GetRequiredService<FeedStatus>(), new DatabaseChangePathPrimer(sp.GetRequiredService<IDbContextFactory<MeshDbContext>>()))));
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.Loaded);

        Assert.NotNull(primer);
        Assert.Equal([false], primer.LoadedWhenCalled);
        Assert.Equal(before.LastSeq, primer.LastSeqs.Single());
        Assert.Equal(before, await LogAndRowsAsync(store));
        Assert.Equal(before.LastSeq, feed.Watermark);
        Assert.Equal(0, host.Metrics.Get(PrimeFailures));

        // The first change after the start is applied and pushed as any other; the primer does not run again.
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await ChangeFeedTests.SubscribeAsync(host, client);
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", ChangeFeedTests.AddressOf(await client.NextAsync()));
        Assert.Single(primer.LastSeqs);
    }

    [Fact]
    public async Task It_Reads_An_Empty_Log_And_A_Mesh_Without_Error()
    {
        var store = await ChangeFeedTests.NewStoreAsync();
        await using var db = store.Open();
        var primer = new DatabaseChangePathPrimer(new StoreContexts(store));

        // An empty database (no change yet), then one with a mesh: both prime without an error and leave both as they were.
        await primer.PrimeAsync(0, TaskTimeouts.Token());
        await store.ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token());
        var before = await LogAndRowsAsync(store);
        await primer.PrimeAsync(before.LastSeq, TaskTimeouts.Token());
        await MeshRowReader.PrimeAsync(db, TaskTimeouts.Token());

        Assert.Equal(before, await LogAndRowsAsync(store));
    }

    [Fact]
    public async Task A_Failure_Is_Counted_And_The_Server_Serves_And_Follows_Changes_Anyway()
    {
        var store = await ChangeFeedTests.NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString, services: s => s.AddSingleton<IChangePathPrimer>(new FailingPrimer()));
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.Loaded);

        Assert.Equal(1, host.Metrics.Get(PrimeFailures));
        var ready = await host.Admin.GetAsync("/readyz").DefaultTimeout();
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        Assert.Equal("127.0.0.2", ChangeFeedTests.AddressOf(await ChangeFeedTests.SubscribeAsync(host, client)));
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", ChangeFeedTests.AddressOf(await client.NextAsync()));
        Assert.Equal(FeedState.Live, feed.State);
        Assert.Equal(0, host.Metrics.Get("mesh_xds_feed_errors_total"));
    }

    private static async Task<(long LastSeq, int Changes, int Rows)> LogAndRowsAsync(MeshStore store)
    {
        await using var db = store.Open();
        return (await db.Changes.MaxAsync(c => (long?)c.Seq) ?? 0, await db.Changes.CountAsync(), await db.Resources.CountAsync());
    }

    /// <summary>The real primer, recording when it was called and whether the feed said it was loaded then.</summary>
    private sealed class RecordingPrimer(FeedStatus status, IChangePathPrimer inner) : IChangePathPrimer
    {
        public List<bool> LoadedWhenCalled { get; } = [];

        public List<long> LastSeqs { get; } = [];

        public Task PrimeAsync(long lastSeq, CancellationToken cancellationToken)
        {
            LoadedWhenCalled.Add(status.Loaded);
            LastSeqs.Add(lastSeq);
            return inner.PrimeAsync(lastSeq, cancellationToken);
        }
    }

    private sealed class FailingPrimer : IChangePathPrimer
    {
        public Task PrimeAsync(long lastSeq, CancellationToken cancellationToken) =>
            Task.FromException(new InvalidOperationException("priming failed (test)"));
    }

    private sealed class StoreContexts(MeshStore store) : IDbContextFactory<MeshDbContext>
    {
        public MeshDbContext CreateDbContext() => store.Open();
    }
}
