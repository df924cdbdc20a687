using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>How the feed loads changed meshes: once per catch-up however many writes, several meshes at once, in order per mesh.</summary>
public sealed class MeshLoadTests
{
    private static readonly MeshKey Demo = new(MeshRows.Account, "demo");

    [Fact]
    public void A_Load_That_Finishes_After_A_Later_Load_Of_The_Same_Mesh_Is_Dropped()
    {
        var order = new MeshLoadOrder();
        var applied = new List<string>();
        var older = order.Begin(Demo);
        var newer = order.Begin(Demo);
        var otherMesh = order.Begin(Demo with { MeshName = "other" });

        Assert.True(order.TryApply(Demo, newer, () => applied.Add("newer")));
        Assert.False(order.TryApply(Demo, older, () => applied.Add("older")));
        Assert.True(order.TryApply(Demo with { MeshName = "other" }, otherMesh, () => applied.Add("other")));

        Assert.Equal(["newer", "other"], applied);
    }

    [Fact]
    public void Loads_Finishing_In_Order_Are_All_Applied()
    {
        var order = new MeshLoadOrder();
        var applied = new List<long>();
        var first = order.Begin(Demo);
        Assert.True(order.TryApply(Demo, first, () => applied.Add(first)));
        var second = order.Begin(Demo);
        Assert.True(order.TryApply(Demo, second, () => applied.Add(second)));

        Assert.Equal([first, second], applied);
    }

    [Fact]
    public async Task A_Burst_Of_Writes_To_Two_Meshes_Is_Loaded_Once_Per_Mesh_Not_Once_Per_Write()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        await store.ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token());
        await store.ApplyAsync(MeshRows.Demo("other"), TaskTimeouts.Token());
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString);
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.Loaded);

        // Only the log (read on the feed's poll) tells of these writes, so the whole burst is one catch-up, or two
        // if a poll falls between the commits.
        await using (var db = store.Open())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE changes DISABLE TRIGGER changes_notify", TaskTimeouts.Token());
        }

        var loadsBefore = host.Metrics.Get("mesh_xds_mesh_loads_total");
        const int WritesPerMesh = 15;
        var writes = new List<(Persistence.MeshDbContext Db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction Transaction)>();
        foreach (var mesh in new[] { "demo", "other" })
        {
            for (var i = 0; i < WritesPerMesh; i++)
            {
                // Separate transactions, each creating one node (each reads the mesh before any commits, so none deletes another's).
                var db = store.Open();
                var transaction = await db.Database.BeginTransactionAsync(TaskTimeouts.Token());
                await MeshStore.StageAsync(db, MeshRows.Demo(mesh).Node($"burst-{i}", $"10.9.0.{i + 1}"), TaskTimeouts.Token());
                await db.SaveChangesAsync(TaskTimeouts.Token());
                writes.Add((db, transaction));
            }
        }

        foreach (var (db, transaction) in writes)
        {
            await transaction.CommitAsync(TaskTimeouts.Token());
            await transaction.DisposeAsync();
            await db.DisposeAsync();
        }

        await Eventually.TrueAsync(() =>
            host.Producer.Mesh(Demo)?.VirtualNodes.Count == 4 + WritesPerMesh
            && host.Producer.Mesh(Demo with { MeshName = "other" })?.VirtualNodes.Count == 4 + WritesPerMesh
            && host.Metrics.Get("mesh_xds_feed_changes_total") == 2 * WritesPerMesh);
        var loads = host.Metrics.Get("mesh_xds_mesh_loads_total") - loadsBefore;
        Assert.InRange(loads, 2, 4);
    }
}
