using System.Net.Http.Json;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// A proxy that connects before the server's first load from PostgreSQL is done (every proxy, at a restart) waits for
/// the load, and is told so: not that its resource has yet to be created, which is what it would be told after the
/// load if its resource does not exist. Such streams are counted, and the feed's "loaded" line says how many.
/// </summary>
public sealed class FirstLoadWaitTests
{
    [Fact]
    public async Task A_Proxy_Connected_Before_The_First_Load_Waits_For_The_Load_Then_Is_Served_Or_Waits_For_Its_Resource()
    {
        var store = await ChangeFeedTests.NewStoreAsync();
        var mesh = MeshRows.Demo("first-load");
        await store.ApplyAsync(mesh, TaskTimeouts.Token());

        // The change log locked, so the feed's first load (which starts by reading it) waits until the test lets go.
        await using var blocker = new NpgsqlConnection(store.ConnectionString + ";Pooling=false");
        await blocker.OpenAsync(TaskTimeouts.Token());
        var holding = await blocker.BeginTransactionAsync(TaskTimeouts.Token());
        await using (var locking = new NpgsqlCommand("LOCK TABLE changes IN ACCESS EXCLUSIVE MODE", blocker, holding))
        {
            await locking.ExecuteNonQueryAsync(TaskTimeouts.Token());
        }

        await using var host = await XdsTestHost.StartAsync(store.ConnectionString);
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await using var web = AdsClient.Connect(host.Channel, MeshRows.NodeId("web", "first-load"));
        await using var ghost = AdsClient.Connect(host.Channel, MeshRows.NodeId("ghost", "no-such-mesh"));
        await web.SendAsync(TypeUrls.Cluster);
        await ghost.SendAsync(TypeUrls.Cluster);

        await Eventually.TrueAsync(() => host.Metrics.Get(XdsMetrics.StreamsWaitedForFirstLoad) == 2);
        Assert.False(feed.Loaded);
        var waiting = await ProxiesAsync(host);
        Assert.Equal(SnapshotProducer.AwaitingFirstLoad, waiting["web"].Waiting);
        Assert.Equal(SnapshotProducer.AwaitingFirstLoad, waiting["ghost"].Waiting);
        Assert.Equal(2, PrometheusText.Value(await host.Admin.GetStringAsync("/metrics", TaskTimeouts.Token()), "mesh_xds_streams_waited_for_first_load_total"));

        await holding.RollbackAsync(TaskTimeouts.Token());

        // Loaded: web's mesh is served; ghost's mesh was not in the load, so ghost now waits for its resource.
        var cds = await web.NextAsync();
        Assert.NotEmpty(cds.Resources);
        await Eventually.TrueAsync(() => feed.Loaded); // the mesh is served as the load reaches it, before the load's end
        await Eventually.TrueAsync(async () => (await ProxiesAsync(host))["ghost"].Waiting != SnapshotProducer.AwaitingFirstLoad);
        var after = await ProxiesAsync(host);
        Assert.Null(after["web"].Waiting);
        Assert.Equal("waiting for mesh/no-such-mesh/virtualNode/ghost (account 111122223333) to be created", after["ghost"].Waiting);

        // A proxy that connects after the load is not counted as having waited for it.
        await using var late = AdsClient.Connect(host.Channel, MeshRows.NodeId("late", "first-load"));
        await late.SendAsync(TypeUrls.Cluster);
        await Eventually.TrueAsync(async () => (await ProxiesAsync(host)).ContainsKey("late"));
        Assert.Equal(2, host.Metrics.Get(XdsMetrics.StreamsWaitedForFirstLoad));
    }

    private static async Task<Dictionary<string, ProxyStatusEntry>> ProxiesAsync(XdsTestHost host)
    {
        var report = await host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token());
        return report!.Proxies.ToDictionary(p => p.Name ?? p.NodeId);
    }
}
