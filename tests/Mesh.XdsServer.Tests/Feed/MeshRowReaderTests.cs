using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Npgsql;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// The loader's reads of a mesh that transfer only the changed rows in full (<see cref="MeshRowReader"/>): after
/// every kind of write, what it returns is exactly what one read of every row returns (the same rows, so the same
/// graph), and only the rows that changed were read in full.
/// </summary>
public sealed class MeshRowReaderTests
{
    [Fact]
    public async Task After_Each_Kind_Of_Write_It_Reads_What_A_Full_Read_Reads_And_Only_The_Changed_Rows_In_Full()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await store.ApplyAsync(MeshRows.Demo("other"), TaskTimeouts.Token());
        var reader = new MeshRowReader();

        // First read: nothing remembered, every row in full.
        var rowCount = mesh.Rows.Count();
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, rowCount);

        // Nothing written since: every row reused.
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, 0);

        // An update through the API's path (version bumped).
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, 1);

        // A create and a delete in one write.
        await store.ApplyAsync(mesh.Node("extra", "127.0.0.10", 9080).Delete(MeshResourceKinds.VirtualService, "", "billing.demo.local"), TaskTimeouts.Token());
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, 1);

        // Deleted and created again: the new row starts at version 1 again, with another spec.
        await store.ApplyAsync(mesh.Delete(MeshResourceKinds.VirtualNode, "", "extra"), TaskTimeouts.Token());
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount - 1, 0);
        await store.ApplyAsync(mesh.Node("extra", "127.0.0.11", 9090), TaskTimeouts.Token());
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, 1);

        // Writes that do not bump the version (the mesh row's tags, which the graph reads; a spec written by hand)
        // are still seen: the row version is PostgreSQL's, not the API's.
        await WriteByHandAsync(store, """UPDATE resources SET tags = '[{"key": "team", "value": "payments"}]'::jsonb WHERE mesh_name = 'demo' AND kind = 'mesh'""");
        await WriteByHandAsync(store, """UPDATE resources SET spec = jsonb_set(spec, '{serviceDiscovery,dns,hostname}', '"127.0.0.12"') WHERE mesh_name = 'demo' AND name = 'api-v1'""");
        await AssertSameAsFullReadAsync(store, reader, mesh.Key, rowCount, 2);

        // The other mesh was remembered on its own: its first read is a full one.
        var other = MeshRows.Demo("other");
        await AssertSameAsFullReadAsync(store, reader, other.Key, other.Rows.Count(), other.Rows.Count());

        // The mesh gone: no rows.
        await WriteByHandAsync(store, "DELETE FROM resources WHERE mesh_name = 'demo'");

        await AssertSameAsFullReadAsync(store, reader, mesh.Key, 0, 0);
    }

    private static async Task AssertSameAsFullReadAsync(MeshStore store, MeshRowReader reader, MeshKey mesh, int rows, int readInFull)
    {
        await using var db = store.Open();
        var (read, counts) = await reader.ReadAsync(db, mesh, TaskTimeouts.Token());
        var full = (await new ChangeLogReader(db).MeshRowsAsync(mesh.AccountId, mesh.MeshName, TaskTimeouts.Token()))
            .Select(r => new MeshResourceRow(r.Kind, r.ParentName, r.Name, r.Version, r.Spec, r.Tags))
            .ToList();

        Assert.Equal(Sorted(full), Sorted(read));
        Assert.Equal(new MeshRowReader.ReadCounts(rows, readInFull), counts);
        if (full.Count > 0)
        {
            Assert.True(MeshGraphDiff.Between(MeshGraph.Build(full), MeshGraph.Build(read)).IsEmpty);
        }
    }

    private static async Task WriteByHandAsync(MeshStore store, string sql)
    {
        await using var connection = new NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync(TaskTimeouts.Token());
        await using var command = new NpgsqlCommand(sql, connection);
        Assert.True(await command.ExecuteNonQueryAsync(TaskTimeouts.Token()) > 0);
    }

    private static List<MeshResourceRow> Sorted(IEnumerable<MeshResourceRow> rows) =>
        [.. rows.OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.ParentName, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)];
}
