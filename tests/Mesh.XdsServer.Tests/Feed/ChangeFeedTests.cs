using System.Net.Http.Json;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// The server following PostgreSQL: changes arrive by LISTEN/NOTIFY and the durable log, over real streams, and
/// nothing is lost to a missed notification, an out-of-order commit, or the database going away.
/// </summary>
public sealed class ChangeFeedTests
{
    private const string V2Endpoints = "cds_proxyless_demo_api-v2_http_9080";
    private const string OtherV2Endpoints = "cds_proxyless_other_api-v2_http_9080";

    [Fact]
    public async Task Serves_What_Is_Stored_And_Pushes_A_Change_Without_Reconnecting()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        var eds = await SubscribeAsync(host, client);
        Assert.Equal("127.0.0.2", AddressOf(eds));

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());

        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));
    }

    [Fact]
    public async Task A_Change_Whose_Notification_Was_Missed_Is_Caught_Up_From_The_Log()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, client);

        // No NOTIFY at all: only the log records the change.
        await using (var db = store.Open())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE changes DISABLE TRIGGER changes_notify", TaskTimeouts.Token());
        }

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());

        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));
    }

    [Fact]
    public async Task A_Change_That_Commits_After_A_Later_One_Is_Not_Lost()
    {
        var (store, demo, other) = await TwoMeshStoreAsync();
        await using var host = await StartLoadedAsync(store);
        await using var demoClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, demoClient);
        await using var otherClient = await SubscribeToOtherAsync(host);

        // Transaction A takes the earlier sequence number but commits last.
        await using var slow = store.Open();
        await using var slowTransaction = await slow.Database.BeginTransactionAsync(TaskTimeouts.Token());
        await MeshStore.StageAsync(slow, demo.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        await slow.SaveChangesAsync(TaskTimeouts.Token());

        await store.ApplyAsync(other.Node("api-v2", "127.0.0.7", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.7", AddressOf(await otherClient.NextAsync())); // the later change is applied first

        await slowTransaction.CommitAsync(TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", AddressOf(await demoClient.NextAsync()));
    }

    /// <summary>
    /// A change-log number whose transaction rolled back is given up as soon as the feed has seen that transaction end,
    /// not after <c>Xds:Feed:GapTimeout</c> (an hour here, so only the end of the transaction can do it); until then the
    /// feed waits for it, catch-up after catch-up, also when the change row was the transaction's first write (so it
    /// took its number before its transaction id).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_Number_Whose_Transaction_Rolled_Back_Is_Given_Up_Once_The_Transaction_Ended_Not_After_The_Gap_Timeout(bool changeRowFirst)
    {
        var (store, demo, other) = await TwoMeshStoreAsync();
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: new Dictionary<string, string?> { ["Xds:Feed:GapTimeout"] = "01:00:00" });
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.Loaded);
        await using var otherClient = await SubscribeToOtherAsync(host);

        // A transaction takes the next number (or the next few) and stays open.
        var before = await MaxSeqAsync(store);
        await using var slow = store.Open();
        await using var slowTransaction = await slow.Database.BeginTransactionAsync(TaskTimeouts.Token());
        if (changeRowFirst)
        {
            await slow.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                SELECT account_id, mesh_name, kind, parent_name, name, version, 'update', at FROM changes ORDER BY seq DESC LIMIT 1
                """,
                TaskTimeouts.Token());
        }
        else
        {
            await MeshStore.StageAsync(slow, demo.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
            await slow.SaveChangesAsync(TaskTimeouts.Token());
        }

        await store.ApplyAsync(other.Node("api-v2", "127.0.0.7", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.7", AddressOf(await otherClient.NextAsync())); // the later number is applied first
        var later = await MaxSeqAsync(store);

        // While the transaction runs, every catch-up (one each poll, each asking who may still fill the hole) waits.
        var queries = host.Metrics.DatabaseQuery.Count;
        await Eventually.TrueAsync(() => host.Metrics.DatabaseQuery.Count >= queries + 8);
        Assert.Equal(before, feed.Watermark);

        await slowTransaction.RollbackAsync(TaskTimeouts.Token());
        await Eventually.TrueAsync(() => feed.Watermark == later);
    }

    private static async Task<long> MaxSeqAsync(MeshStore store)
    {
        await using var db = store.Open();
        return await new Persistence.ChangeLogReader(db).MaxSeqAsync(TaskTimeouts.Token());
    }

    /// <summary>
    /// A change whose log row was pruned (<c>Mesh:Retention:ChangeLog</c>) before the feed read it, as for a server cut
    /// off from the database for about the retention, still reaches its proxies: the feed cannot know which mesh the
    /// pruned row named, so it reads every mesh again, and counts it. The pruned numbers are a hole it tracks, or a
    /// jump past more numbers than it tracks. With no poll within the test, the catch-up that first finds the hole
    /// reads everything again: no later catch-up may be coming.
    /// </summary>
    [Theory]
    [InlineData(false, "pruned", null)]
    [InlineData(true, "untracked_jump", null)]
    [InlineData(false, "pruned", "01:00:00")]
    public async Task A_Change_Pruned_Before_The_Feed_Read_It_Reaches_Its_Proxies_As_Every_Mesh_Is_Read_Again(bool pastTrackedNumbers, string reason, string? pollInterval)
    {
        var (store, demo, other) = await TwoMeshStoreAsync();
        await using var host = await StartLoadedAsync(store, pollInterval is null ? null : new() { ["Xds:Feed:PollInterval"] = pollInterval });
        await using var demoClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, demoClient);
        await using var otherClient = await SubscribeToOtherAsync(host);

        // One transaction changes demo, then other, and prunes demo's change-log row as the API's retention does
        // (recording the number in settings): the feed sees other's row only.
        var before = await MaxSeqAsync(store);
        await using (var db = store.Open())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(TaskTimeouts.Token());
            await MeshStore.StageAsync(db, demo.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
            await db.SaveChangesAsync(TaskTimeouts.Token());
            var pruned = await new Persistence.ChangeLogReader(db).MaxSeqAsync(TaskTimeouts.Token());
            if (pastTrackedNumbers)
            {
                await db.Database.ExecuteSqlRawAsync(
                    "SELECT setval(pg_get_serial_sequence('changes', 'seq'), {0})", [pruned + Persistence.ChangeLogPosition.MaxHolesPerJump + 10], TaskTimeouts.Token());
            }

            await MeshStore.StageAsync(db, other.Node("api-v2", "127.0.0.7", 9080), TaskTimeouts.Token());
            await db.SaveChangesAsync(TaskTimeouts.Token());
            Assert.Equal(1, await db.Database.ExecuteSqlRawAsync("DELETE FROM changes WHERE seq > {0} AND seq <= {1}", [before, pruned], TaskTimeouts.Token()));
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO settings (key, value) VALUES ({0}, {1}) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [Persistence.ChangeLogRetention.PrunedThroughSetting, pruned.ToString(System.Globalization.CultureInfo.InvariantCulture)], TaskTimeouts.Token());
            await transaction.CommitAsync(TaskTimeouts.Token());
        }

        Assert.Equal("127.0.0.7", AddressOf(await otherClient.NextAsync()));
        Assert.Equal("127.0.0.9", AddressOf(await demoClient.NextAsync()));
        Assert.Equal(1, host.Metrics.Get("mesh_xds_feed_resyncs_total", $"reason=\"{reason}\""));
    }

    /// <summary>
    /// A change to a mesh nobody watches waits (counted as deferred) and reaches the first proxy that watches it, with
    /// no further write: with the feed's usual poll, and with no poll within the test, where only the new watch can
    /// bring the feed round (issue14t's wake-up).
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("01:00:00")]
    public async Task A_Change_To_A_Mesh_Nobody_Watches_Waits_And_The_First_Proxy_That_Watches_It_Wakes_The_Feed(string? pollInterval)
    {
        var (store, demo, other) = await TwoMeshStoreAsync();

        // A delay no test waits out: only a proxy watching the mesh can bring its load forward.
        var settings = new Dictionary<string, string?> { ["Xds:Feed:UnwatchedDelay"] = "01:00:00" };
        if (pollInterval is not null)
        {
            settings["Xds:Feed:PollInterval"] = pollInterval;
        }

        await using var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: settings);
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<FeedStatus>().Loaded);
        await using var demoClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, demoClient);

        await store.ApplyAsync(other.Node("api-v2", "127.0.0.7", 9080), TaskTimeouts.Token());
        await store.ApplyAsync(demo.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", AddressOf(await demoClient.NextAsync()));
        await Eventually.TrueAsync(() => host.Metrics.Get("mesh_xds_mesh_loads_deferred_total") >= 1);
        Assert.Equal("127.0.0.2", AddressOfV2(host.Producer.Mesh(other.Key)));

        await using var otherClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web", "other"));
        await otherClient.SendAsync(TypeUrls.Endpoint, [OtherV2Endpoints]);
        var first = await otherClient.NextAsync();
        if (AddressOf(first) == "127.0.0.2")
        {
            // The graph last loaded may be served first (the producer builds on the watching thread); the change follows.
            await otherClient.AckAsync(first, [OtherV2Endpoints]);
            first = await otherClient.NextAsync();
        }

        Assert.Equal("127.0.0.7", AddressOf(first));
    }

    [Fact]
    public async Task When_Its_Listen_Connection_Is_Cut_The_Feed_Reconnects_And_Follows_Later_Changes()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, client);
        var feed = host.Services.GetRequiredService<FeedStatus>();

        await using (var db = store.Open())
        {
            var listen = $"LISTEN {Persistence.ChangeFeed.Channel}";
            await db.Database.ExecuteSqlAsync(
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = {listen}",
                TaskTimeouts.Token());
        }

        // The feed notices at once (its LISTEN connection's wait ends), reconnects and is live again; only then is
        // the next change made, so it is the new connection's loop that must follow it, not the reconnect's catch-up.
        await Eventually.TrueAsync(() => host.Metrics.Get("mesh_xds_feed_errors_total") >= 1 && feed.State == FeedState.Live);
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.8", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.8", AddressOf(await client.NextAsync()));
    }

    [Fact]
    public async Task After_A_Catch_Up_Fails_The_Feed_Reconnects_And_Follows_Later_Changes()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, client);
        var feed = host.Services.GetRequiredService<FeedStatus>();

        // The log's table away: the next catch-up (a poll) fails while the LISTEN connection is still fine, so it is
        // the feed that closes that connection, and the next one must not take that for its own end.
        await using (var db = store.Open())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE changes RENAME TO changes_away", TaskTimeouts.Token());
            await Eventually.TrueAsync(() => host.Metrics.Get("mesh_xds_feed_errors_total") >= 1);
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE changes_away RENAME TO changes", TaskTimeouts.Token());
        }

        await Eventually.TrueAsync(() => feed.State == FeedState.Live);
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.8", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.8", AddressOf(await client.NextAsync()));
    }

    [Fact]
    public async Task An_Invalid_Mesh_In_The_Database_Keeps_The_Last_Good_Config()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, client);

        await store.ApplyAsync(mesh.Put("virtualNode", "", "api-v2", """{"listeners":"not a list"}"""), TaskTimeouts.Token());
        await Eventually.TrueAsync(() => host.Metrics.Get("mesh_xds_mesh_graphs_rejected_total") == 1);
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());

        // The next thing the proxy sees is the next valid configuration; nothing half-built came before it.
        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));
    }

    [Fact]
    public async Task Two_Replicas_On_One_Database_Serve_The_Same_Versions()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var one = await StartLoadedAsync(store);
        await using var two = await StartLoadedAsync(store);
        await using var clientOne = AdsClient.Connect(one.Channel, MeshRows.NodeId("web"));
        await using var clientTwo = AdsClient.Connect(two.Channel, MeshRows.NodeId("web"));

        var a = await SubscribeAsync(one, clientOne);
        var b = await SubscribeAsync(two, clientTwo);
        Assert.Equal(a.VersionInfo, b.VersionInfo);
        Assert.Equal(a.Resources, b.Resources);

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        var nextA = await clientOne.NextAsync();
        var nextB = await clientTwo.NextAsync();
        Assert.Equal(nextA.VersionInfo, nextB.VersionInfo);
        Assert.NotEqual(a.VersionInfo, nextA.VersionInfo);
    }

    [Fact]
    public async Task A_Restarted_Server_Gives_A_Reconnecting_Proxy_No_Churn()
    {
        var store = await NewStoreAsync();
        await store.ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token());
        string version;
        await using (var first = await StartLoadedAsync(store))
        await using (var client = AdsClient.Connect(first.Channel, MeshRows.NodeId("web")))
        {
            await client.SendAsync(TypeUrls.Listener);
            version = (await client.NextAsync()).VersionInfo;
        }

        await using var second = await StartLoadedAsync(store);
        await using var reconnected = AdsClient.Connect(second.Channel, MeshRows.NodeId("web"));
        await reconnected.SendAsync(TypeUrls.Listener, version: version);
        await reconnected.SendAsync(TypeUrls.Endpoint, [V2Endpoints]);

        Assert.Equal(TypeUrls.Endpoint, (await reconnected.NextAsync()).TypeUrl); // the listener request was already current
    }

    /// <summary>How the database goes away in <see cref="Keeps_Serving_Through_A_Database_Outage_And_Catches_Up_After"/>.</summary>
    public enum Outage
    {
        /// <summary>Shut down cleanly, then started again.</summary>
        Stopped,

        /// <summary>Killed without a checkpoint (pg_ctl stop -m immediate); recovery runs at the next start.</summary>
        Crashed,

        /// <summary>Hung (SIGSTOP): connections stay open and new ones are accepted, but nothing answers.</summary>
        Frozen,
    }

    [Theory]
    [InlineData(Outage.Stopped)]
    [InlineData(Outage.Crashed)]
    [InlineData(Outage.Frozen)]
    public async Task Keeps_Serving_Through_A_Database_Outage_And_Catches_Up_After(Outage outage)
    {
        await using var server = await PostgresServer.StartDedicatedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var host = await StartLoadedAsync(store);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await SubscribeAsync(host, client);
        var feed = host.Services.GetRequiredService<FeedStatus>();

        await (outage switch
        {
            Outage.Stopped => server.StopAsync(TaskTimeouts.Token()),
            Outage.Crashed => server.CrashAsync(TaskTimeouts.Token()),
            _ => server.PauseAsync(TaskTimeouts.Token()),
        });
        try
        {
            if (outage == Outage.Frozen)
            {
                // Nothing fails fast against a hung server: wait past a poll of the feed, so it is stuck on the server.
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            else
            {
                await Eventually.TrueAsync(() => feed.State == FeedState.Disconnected);
                var health = await host.Admin.GetFromJsonAsync<HealthReport>("/healthz").DefaultTimeout();
                Assert.Equal(("ok", "disconnected"), (health!.Status, health.Feed));
            }

            // A proxy that connects now still gets the last good configuration.
            await using (var late = AdsClient.Connect(host.Channel, MeshRows.NodeId("web")))
            {
                await late.SendAsync(TypeUrls.Endpoint, [V2Endpoints]);
                Assert.Equal("127.0.0.2", AddressOf(await late.NextAsync()));
            }

            // Still ready: the last snapshots keep serving through a database outage.
            var ready = await host.Admin.GetAsync("/readyz").DefaultTimeout();
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            await (outage == Outage.Frozen ? server.ResumeAsync(TaskTimeouts.Token()) : server.StartAsync(TaskTimeouts.Token()));
        }

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        Assert.Equal("127.0.0.9", AddressOf(await client.NextAsync()));
        await Eventually.TrueAsync(() => feed.State == FeedState.Live);
    }

    internal static async Task<MeshStore> NewStoreAsync()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        return new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
    }

    /// <summary>A new database holding the meshes demo and other.</summary>
    private static async Task<(MeshStore Store, MeshRows Demo, MeshRows Other)> TwoMeshStoreAsync()
    {
        var store = await NewStoreAsync();
        var demo = MeshRows.Demo();
        var other = MeshRows.Demo("other");
        await store.ApplyAsync(demo, TaskTimeouts.Token());
        await store.ApplyAsync(other, TaskTimeouts.Token());
        return (store, demo, other);
    }

    private static async Task<XdsTestHost> StartLoadedAsync(MeshStore store, Dictionary<string, string?>? settings = null)
    {
        var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: settings);
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.Loaded);
        return host;
    }

    /// <summary>Subscribes to api-v2's endpoints, ACKs them, and waits until the server has the ACK.</summary>
    internal static async Task<DiscoveryResponse> SubscribeAsync(XdsTestHost host, AdsClient client)
    {
        await client.SendAsync(TypeUrls.Endpoint, [V2Endpoints]);
        var eds = await client.NextAsync();
        await client.AckAsync(eds, [V2Endpoints]);
        await host.ProcessedAsync(TypeUrls.Endpoint, V2Endpoints, Envoy.Admin.V3.ClientResourceStatus.Acked);
        return eds;
    }

    private static string? AddressOfV2(Mesh.Model.Graph.MeshGraph? graph) =>
        graph?.FindVirtualNode("api-v2")?.Spec.ServiceDiscovery?.Dns?.Hostname;

    /// <summary>A proxy of mesh "other" that has subscribed to its api-v2's endpoints and ACKed them.</summary>
    private static async Task<AdsClient> SubscribeToOtherAsync(XdsTestHost host)
    {
        var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web", "other"));
        await client.SendAsync(TypeUrls.Endpoint, [OtherV2Endpoints]);
        await client.AckAsync(await client.NextAsync(), [OtherV2Endpoints]);
        return client;
    }

    internal static string AddressOf(DiscoveryResponse eds) =>
        Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(eds)).Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address;
}
