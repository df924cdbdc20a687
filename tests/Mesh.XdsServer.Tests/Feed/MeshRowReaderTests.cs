using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using ReadKind = Mesh.XdsServer.Feed.MeshRowReader.ReadKind;

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

    [Fact]
    public async Task An_Incremental_Read_After_Each_Kind_Of_Write_Reads_Only_The_Named_Rows_And_Equals_A_Full_Read()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await store.ApplyAsync(MeshRows.Demo("other"), TaskTimeouts.Token());
        var reader = new MeshRowReader();
        var rowCount = mesh.Rows.Count();
        var log = new LogPosition(store, mesh.Key);
        await log.ReadAndCheckAsync(reader, ReadKind.First, rowCount, rowCount);

        // Nothing written: nothing read, the rows are the last read's.
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 0);

        // An update, then a create and a delete in one write (the other mesh's write is not this mesh's business).
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        await store.ApplyAsync(MeshRows.Demo("other").Node("api-v2", "127.0.0.8", 9080), TaskTimeouts.Token());
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 1);
        await store.ApplyAsync(mesh.Node("extra", "127.0.0.10", 9080).Delete(MeshResourceKinds.VirtualService, "", "billing.demo.local"), TaskTimeouts.Token());
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 1);

        // Deleted and created again between two reads: the log names it twice, the row has a new id.
        await store.ApplyAsync(mesh.Delete(MeshResourceKinds.VirtualNode, "", "extra"), TaskTimeouts.Token());
        await store.ApplyAsync(mesh.Node("extra", "127.0.0.11", 9090), TaskTimeouts.Token());
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 1);

        // Tags written as the API writes them (the version stays; the log names the row with operation "tag"),
        // on the mesh row (the graph reads its tracing tags) and on a node.
        await TagAsync(store, mesh.Key, MeshResourceKinds.Mesh, "demo", """[{"key": "team", "value": "payments"}]""");
        await TagAsync(store, mesh.Key, MeshResourceKinds.VirtualNode, "web", """[{"key": "tier", "value": "front"}]""");
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 2);

        // A row written by hand with no change-log row is not named, so an incremental read keeps what it had...
        await WriteByHandAsync(store, """UPDATE resources SET spec = jsonb_set(spec, '{serviceDiscovery,dns,hostname}', '"127.0.0.12"') WHERE mesh_name = 'demo' AND name = 'api-v1'""");
        var (rows, _) = await log.ReadAsync(reader);
        Assert.Equal("127.0.0.1", MeshGraph.Build(rows).FindVirtualNode("api-v1")!.Spec.ServiceDiscovery!.Dns!.Hostname);

        // ...and the full reload that follows a gap (or a failure, a migration) sees it.
        reader.Distrust(MeshRowReader.FullReasons.Gap);
        var counts = await log.ReadAndCheckAsync(reader, ReadKind.Stamped, rowCount, 1);
        Assert.Equal(MeshRowReader.FullReasons.Gap, counts.Reason);
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, rowCount, 0);

        // The mesh deleted row by row, as the API must: no rows.
        await store.ApplyAsync(new MeshRows("demo").Delete(MeshResourceKinds.Mesh, "", "demo"), TaskTimeouts.Token());
        await log.ReadAndCheckAsync(reader, ReadKind.Incremental, 0, 0);
    }

    [Fact]
    public async Task An_Incremental_Read_Sees_The_Logs_Snapshot_Not_A_Write_Committed_After_It()
    {
        var store = await NewStoreAsync();
        var mesh = MeshRows.Demo();
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        var reader = new MeshRowReader();
        var log = new LogPosition(store, mesh.Key);
        await log.ReadAndCheckAsync(reader, ReadKind.First, mesh.Rows.Count(), mesh.Rows.Count());

        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.9", 9080), TaskTimeouts.Token());
        await using var snapshot = await log.ReadLogAsync();

        // Committed after the log was read: the log read did not name this create, and the update of api-v2 it did
        // name must be read as it was then, or the rows would be a state the database never had.
        await store.ApplyAsync(mesh.Node("api-v2", "127.0.0.20", 9080).Node("late", "127.0.0.21"), TaskTimeouts.Token());
        await using var db = store.Open();
        var (rows, counts) = await reader.ReadAsync(db, mesh.Key, snapshot.Changes, TaskTimeouts.Token());

        Assert.Equal(ReadKind.Incremental, counts.Kind);
        Assert.Equal(Sorted(await snapshot.FullReadAsync()), Sorted(rows));
        var graph = MeshGraph.Build(rows);
        Assert.Equal("127.0.0.9", graph.FindVirtualNode("api-v2")!.Spec.ServiceDiscovery!.Dns!.Hostname);
        Assert.Null(graph.FindVirtualNode("late"));
    }

    private static async Task<MeshStore> NewStoreAsync()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        return new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
    }

    /// <summary>Writes a row's tags as the API's TagResource does: the row's tags, and a change row naming it.</summary>
    internal static async Task TagAsync(MeshStore store, MeshKey mesh, string kind, string name, string tags)
    {
        await using var db = store.Open();
        await using var transaction = await db.Database.BeginTransactionAsync(TaskTimeouts.Token());
        var row = await db.Resources.SingleAsync(r => r.AccountId == mesh.AccountId && r.MeshName == mesh.MeshName && r.Kind == kind && r.ParentName == "" && r.Name == name, TaskTimeouts.Token());
        row.Tags = tags;
        db.Changes.Add(new ChangeEntity
        {
            AccountId = mesh.AccountId,
            MeshName = mesh.MeshName,
            Kind = kind,
            ParentName = "",
            Name = name,
            Version = row.Version,
            Operation = "tag",
            At = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(TaskTimeouts.Token());
        await transaction.CommitAsync(TaskTimeouts.Token());
    }

    /// <summary>
    /// Follows the change log of one mesh as the feed does: reads what it names after the last position in a
    /// repeatable-read transaction and exports that snapshot for the row reader.
    /// </summary>
    private sealed class LogPosition(MeshStore store, MeshKey mesh)
    {
        private long _after;

        public async Task<LogSnapshot> ReadLogAsync()
        {
            var connection = new NpgsqlConnection(store.ConnectionString);
            await connection.OpenAsync(TaskTimeouts.Token());
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, TaskTimeouts.Token());
            var named = new HashSet<RowKey>();
            await using (var command = new NpgsqlCommand(
                "SELECT seq, kind, parent_name, name FROM changes WHERE account_id = $1 AND mesh_name = $2 AND seq > $3 ORDER BY seq", connection, transaction))
            {
                command.Parameters.AddWithValue(mesh.AccountId);
                command.Parameters.AddWithValue(mesh.MeshName);
                command.Parameters.AddWithValue(_after);
                await using var rows = await command.ExecuteReaderAsync(TaskTimeouts.Token());
                while (await rows.ReadAsync(TaskTimeouts.Token()))
                {
                    _after = rows.GetInt64(0);
                    named.Add(new RowKey(rows.GetString(1), rows.GetString(2), rows.GetString(3)));
                }
            }

            await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction);
            var id = (string)(await export.ExecuteScalarAsync(TaskTimeouts.Token()))!;
            return new LogSnapshot(store, mesh, connection, new MeshChanges(id, named));
        }

        public async Task<(List<MeshResourceRow> Rows, MeshRowReader.ReadCounts Counts)> ReadAsync(MeshRowReader reader)
        {
            await using var snapshot = await ReadLogAsync();
            await using var db = store.Open();
            return await reader.ReadAsync(db, mesh, snapshot.Changes, TaskTimeouts.Token());
        }

        /// <summary>Reads, and checks the rows against a full read in the same snapshot and the graphs against each other.</summary>
        public async Task<MeshRowReader.ReadCounts> ReadAndCheckAsync(MeshRowReader reader, ReadKind kind, int rows, int readInFull)
        {
            await using var snapshot = await ReadLogAsync();
            await using var db = store.Open();
            var (read, counts) = await reader.ReadAsync(db, mesh, snapshot.Changes, TaskTimeouts.Token());
            var full = await snapshot.FullReadAsync();

            Assert.Equal(Sorted(full), Sorted(read));
            Assert.Equal((kind, rows, readInFull), (counts.Kind, counts.Rows, counts.ReadInFull));
            if (full.Count > 0)
            {
                Assert.True(MeshGraphDiff.Between(MeshGraph.Build(full), MeshGraph.Build(read)).IsEmpty);
            }

            return counts;
        }
    }

    /// <summary>An open log read: its snapshot stays importable until this is disposed.</summary>
    private sealed class LogSnapshot(MeshStore store, MeshKey mesh, NpgsqlConnection connection, MeshChanges changes) : IAsyncDisposable
    {
        public MeshChanges Changes { get; } = changes;

        /// <summary>Every row of the mesh in the log's snapshot.</summary>
        public async Task<List<MeshResourceRow>> FullReadAsync()
        {
            await using var other = new NpgsqlConnection(store.ConnectionString);
            await other.OpenAsync(TaskTimeouts.Token());
            await using var transaction = await other.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, TaskTimeouts.Token());
            await using (var set = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{Changes.Snapshot}'", other, transaction))
            {
                await set.ExecuteNonQueryAsync(TaskTimeouts.Token());
            }

            await using var command = new NpgsqlCommand(
                "SELECT kind, parent_name, name, version, spec::text, tags::text FROM resources WHERE account_id = $1 AND mesh_name = $2", other, transaction);
            command.Parameters.AddWithValue(mesh.AccountId);
            command.Parameters.AddWithValue(mesh.MeshName);
            var rows = new List<MeshResourceRow>();
            await using var reader = await command.ExecuteReaderAsync(TaskTimeouts.Token());
            while (await reader.ReadAsync(TaskTimeouts.Token()))
            {
                rows.Add(new MeshResourceRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
            }

            return rows;
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync();
    }

    private static async Task AssertSameAsFullReadAsync(MeshStore store, MeshRowReader reader, MeshKey mesh, int rows, int readInFull)
    {
        await using var db = store.Open();
        var (read, counts) = await reader.ReadAsync(db, mesh, null, TaskTimeouts.Token());
        var full = (await new ChangeLogReader(db).MeshRowsAsync(mesh.AccountId, mesh.MeshName, TaskTimeouts.Token()))
            .Select(r => new MeshResourceRow(r.Kind, r.ParentName, r.Name, r.Version, r.Spec, r.Tags))
            .ToList();

        Assert.Equal(Sorted(full), Sorted(read));
        Assert.Equal((rows, readInFull), (counts.Rows, counts.ReadInFull));
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
