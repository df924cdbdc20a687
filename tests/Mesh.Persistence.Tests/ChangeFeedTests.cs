using System.Globalization;
using Mesh.Migrations;
using Mesh.Testing;
using Npgsql;

namespace Mesh.Persistence.Tests;

public sealed class ChangeFeedTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ChangeInsert_NotifiesListeners_OnCommitOnly()
    {
        await using var listener = new NpgsqlConnection(database.ConnectionString);
        await listener.OpenAsync();
        var received = new List<string>();
        listener.Notification += (_, e) =>
        {
            Assert.Equal(ChangeFeed.Channel, e.Channel);
            received.Add(e.Payload);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {ChangeFeed.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var context = new MeshDbContext(MeshDbContextOptions.Create(database.ConnectionString));
        await using var transaction = await context.Database.BeginTransactionAsync();
        var change = Entities.Change("feed", "create");
        context.Changes.Add(change);
        await context.SaveChangesAsync();

        Assert.False(await listener.WaitAsync(Quiet), "NOTIFY was delivered before commit");

        await transaction.CommitAsync();

        Assert.True(await listener.WaitAsync(Timeout), "no NOTIFY after commit");
        Assert.Equal([change.Seq.ToString(CultureInfo.InvariantCulture)], received);
    }

    [Fact]
    public async Task RolledBackChange_NotifiesNobody()
    {
        await using var listener = new NpgsqlConnection(database.ConnectionString);
        await listener.OpenAsync();
        await using (var listen = new NpgsqlCommand($"LISTEN {ChangeFeed.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var context = new MeshDbContext(MeshDbContextOptions.Create(database.ConnectionString));
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            context.Changes.Add(Entities.Change("rolled-back", "create"));
            await context.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        Assert.False(await listener.WaitAsync(Quiet));
    }
}
