using Mesh.Migrations;
using Mesh.Testing;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Persistence.Tests;

/// <summary>
/// The change-log reads a <see cref="ChangeLogPosition"/> follower makes: the rows above its top and its holes by
/// number (not every row above its lowest hole), and the transactions that may still fill a hole.
/// </summary>
public sealed class ChangeLogReaderTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task TheRead_ReturnsTheHolesAskedFor_AndTheRowsAboveTheTop_NotTheRowsBetween()
    {
        await using var db = Open();
        var seqs = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var change = Entities.Change($"read-{i}", "create");
            db.Changes.Add(change);
            await db.SaveChangesAsync();
            seqs.Add(change.Seq);
        }

        // A follower that has read up to the fourth and is missing the second.
        var rows = await new ChangeLogReader(db).ReadAfterAsync(seqs[3], [seqs[1]], 1000, CancellationToken.None);

        Assert.Equal(new[] { seqs[1], seqs[4] }, rows.Select(r => r.Seq));
        Assert.Equal("read-1", rows[0].MeshName);
    }

    [Fact]
    public async Task ReadInPages_EveryFilledHoleIsReturned_EvenWhenTheyFillMoreThanAPage()
    {
        await using var db = Open();
        var seqs = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            var change = Entities.Change($"paged-{i}", "create");
            db.Changes.Add(change);
            await db.SaveChangesAsync();
            seqs.Add(change.Seq);
        }

        // A follower that has read the fifth and none of the four before it: four holes, pages of two.
        var position = new ChangeLogPosition(TimeSpan.FromSeconds(30), TimeProvider.System);
        position.Start(seqs[0] - 1);
        position.Read(seqs[4]);
        var pages = new ChangeLogPages(position, pageSize: 2);
        var read = new List<long>();
        do
        {
            foreach (var row in await new ChangeLogReader(db).ReadAfterAsync(pages.After, pages.Holes, pages.PageSize, CancellationToken.None))
            {
                pages.Returned(row.Seq);
                read.Add(row.Seq);
            }
        }
        while (pages.NextPage());

        Assert.Equal(new[] { seqs[0], seqs[1], seqs[2], seqs[3], seqs[5] }, read.Where(seq => seq <= seqs[5]));
        Assert.False(pages.EarlierHolesMissing);
    }

    [Fact]
    public async Task TheWriters_AreTheTransactionsThatInsertedIntoTheLog_UntilTheyEnd_EvenWhenTheChangeRowWasTheirFirstWrite()
    {
        await using var writer = Open();
        await using var transaction = await writer.Database.BeginTransactionAsync(CancellationToken.None);

        // Its first write is the change row: it takes its number before it has a transaction id.
        writer.Changes.Add(Entities.Change("writer", "create"));
        await writer.SaveChangesAsync(CancellationToken.None);
        var id = await writer.Database
            .SqlQueryRaw<string>("SELECT virtualxid AS \"Value\" FROM pg_locks WHERE locktype = 'virtualxid' AND pid = pg_backend_pid()")
            .SingleAsync(CancellationToken.None);

        await using var follower = Open();
        var reader = new ChangeLogReader(follower);
        Assert.Contains(id, await reader.WritersAsync(CancellationToken.None));

        await transaction.RollbackAsync(CancellationToken.None);
        Assert.DoesNotContain(id, await reader.WritersAsync(CancellationToken.None));
    }

    private MeshDbContext Open() => new(MeshDbContextOptions.Create(database.ConnectionString));
}
