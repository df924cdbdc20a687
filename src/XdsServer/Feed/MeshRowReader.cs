using System.Collections.Concurrent;
using System.Data;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Reads the live rows of one mesh for the loader, in one of three ways:
/// <list type="bullet">
/// <item>Its first read: every row in full.</item>
/// <item>A full reload (<see cref="ReadKind.Stamped"/>): every row's id and row version (PostgreSQL's <c>xmin</c>,
/// which any write of the row changes, whoever makes it, tags included), then the full rows of the ids it has not
/// seen at that row version, in one repeatable-read transaction. A reload of a big mesh used to read every row's
/// spec (20,000 nodes: 370–560 ms of PostgreSQL per change); this reads every stamp, which is still O(rows).</item>
/// <item>An incremental read (<see cref="ReadKind.Incremental"/>): only the rows the change log named since the
/// mesh's last read (<see cref="MeshChanges"/>), in the snapshot the feed read the log in
/// (<c>SET TRANSACTION SNAPSHOT</c>), patched into the rows it last read: O(changes). Every API write logs the
/// row it writes in its own transaction, so the rows that differ between the last read's snapshot and the log's are
/// exactly those the log names, and the patched set is exactly what a full read in the log's snapshot returns.</item>
/// </list>
/// Whatever the way, the result is the same row set as one read of every row, so the graph and every version built
/// from it are the same (and the same on every replica). An increment is not used where it cannot be trusted: the
/// feed marks meshes (<see cref="Distrust"/>) after a gap it gave up on, a failed catch-up or a schema change, and
/// their next read is a full reload. Thread-safe; loads of one mesh may run at once (every remembered row set is
/// replaced whole, never changed in place).
/// </summary>
public sealed class MeshRowReader
{
    private readonly ConcurrentDictionary<MeshKey, KnownRows> _known = new();

    // Meshes whose next read must be a full reload, and why (the first reason given since their last read).
    private readonly ConcurrentDictionary<MeshKey, string> _distrusted = new();

    /// <summary>How a read read the mesh.</summary>
    public enum ReadKind
    {
        /// <summary>Nothing remembered: every row in full.</summary>
        First,

        /// <summary>A full reload: every row's stamp, and in full the rows that changed.</summary>
        Stamped,

        /// <summary>Only the rows the change log named.</summary>
        Incremental,
    }

    /// <summary>
    /// What the last read did: rows in the mesh, and of them read in full (not remembered); how it read, and for a
    /// full reload why (<see cref="FullReasons"/>).
    /// </summary>
    public readonly record struct ReadCounts(int Rows, int ReadInFull, ReadKind Kind = ReadKind.First, string? Reason = null);

    /// <summary>Why a read was not incremental, as counted in <c>mesh_xds_mesh_reads_full_total{reason}</c>.</summary>
    public static class FullReasons
    {
        /// <summary>The mesh's first read since the server started (or since it was deleted).</summary>
        public const string First = "first";

        /// <summary>The read came with no change log (incremental reads off, <c>Xds:Feed:IncrementalLoads</c>).</summary>
        public const string NoLog = "no_log";

        /// <summary>The feed gave up on a gap in the log: a change it never saw may have committed later.</summary>
        public const string Gap = "gap";

        /// <summary>A catch-up or a read failed: what was applied before it is not known for sure.</summary>
        public const string Failed = "failed";

        /// <summary>A migration ran: it may have rewritten rows without logging them.</summary>
        public const string Schema = "schema";

        public static readonly IReadOnlyList<string> All = [First, NoLog, Gap, Failed, Schema];
    }

    /// <summary>
    /// The mesh's live rows (the mesh row included), or an empty list when the mesh does not exist. With
    /// <paramref name="changes"/> and a trusted last read, only the rows it names are read; otherwise a full reload.
    /// </summary>
    public async Task<(List<MeshResourceRow> Rows, ReadCounts Counts)> ReadAsync(
        MeshDbContext db, MeshKey mesh, MeshChanges? changes, CancellationToken cancellationToken)
    {
        var known = _known.GetValueOrDefault(mesh);
        _distrusted.TryRemove(mesh, out var distrusted);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            KnownRows read;
            ReadCounts counts;
            if (known is null)
            {
                // Nothing remembered: one statement, every row in full, as before.
                var rows = new Dictionary<long, StoredRow>();
                var readInFull = await ReadFullAsync(connection, null, FullRowsOfMesh, p => AddMesh(p, mesh), rows, cancellationToken);
                read = KnownRows.Of(rows);
                counts = new ReadCounts(rows.Count, readInFull, ReadKind.First, FullReasons.First);
            }
            else if (changes is null || distrusted is not null)
            {
                (read, var readInFull) = await ReadStampedAsync(connection, mesh, known, changes?.Snapshot, cancellationToken);
                counts = new ReadCounts(read.ById.Count, readInFull, ReadKind.Stamped, distrusted ?? FullReasons.NoLog);
            }
            else
            {
                (read, var readInFull) = await ReadNamedAsync(connection, mesh, known, changes, cancellationToken);
                counts = new ReadCounts(read.ById.Count, readInFull, ReadKind.Incremental);
            }

            if (read.ById.Count == 0)
            {
                _known.TryRemove(mesh, out _);
            }
            else
            {
                _known[mesh] = read;
            }

            return ([.. read.ById.Values.Select(r => r.Row)], counts);
        }
        catch
        {
            // What the failed read left is not known (a statement may have been cut half-way): the next read is full.
            _distrusted.TryAdd(mesh, FullReasons.Failed);
            throw;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Makes the next read of every remembered mesh a full reload, counted under <paramref name="reason"/>.</summary>
    public void Distrust(string reason)
    {
        foreach (var mesh in _known.Keys)
        {
            _distrusted.TryAdd(mesh, reason);
        }
    }

    /// <summary>
    /// Runs once what a reload runs and a first read does not, reading no row: a repeatable-read transaction and the
    /// read by an array of ids (here one that no row has). Npgsql builds its array, range and multirange type mappings the first time
    /// a statement has an array parameter, about 500 methods for the JIT; unprimed, the first route change after a
    /// start paid for them while every proxy waited (docs/benchmarks.md, issue13q).
    /// </summary>
    public static async Task PrimeAsync(MeshDbContext db, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            // An id no row has (ids are an identity column counting from 1), so the array's elements are written too.
            var none = new Dictionary<long, StoredRow>();
            var read = await ReadFullAsync(connection, transaction, FullRowsById, p => p.AddWithValue(new[] { -1L }), none, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (read != 0)
            {
                throw new InvalidOperationException($"a read by no id returned {read} rows");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Forgets a mesh (it was deleted): its next read reads every row in full.</summary>
    public void Forget(MeshKey mesh)
    {
        _known.TryRemove(mesh, out _);
        _distrusted.TryRemove(mesh, out _);
    }

    private const string Columns = "id, xmin::text::bigint, kind, parent_name, name, version, spec::text, tags::text";

    private const string FullRowsOfMesh = $"SELECT {Columns} FROM resources WHERE account_id = $1 AND mesh_name = $2";

    private const string FullRowsById = $"SELECT {Columns} FROM resources WHERE id = ANY($1)";

    // The identity index (ux_resources_identity) finds each named row.
    private const string NamedRowsOfMesh =
        $"SELECT {Columns} FROM resources WHERE account_id = $1 AND mesh_name = $2 "
        + "AND (kind, parent_name, name) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]))";

    private const string StampsOfMesh = "SELECT id, xmin::text::bigint FROM resources WHERE account_id = $1 AND mesh_name = $2";

    private static void AddMesh(NpgsqlParameterCollection parameters, MeshKey mesh)
    {
        parameters.AddWithValue(mesh.AccountId);
        parameters.AddWithValue(mesh.MeshName);
    }

    /// <summary>A full reload: every row's stamp, then in full the rows not remembered at that stamp.</summary>
    private static async Task<(KnownRows Read, int ReadInFull)> ReadStampedAsync(
        NpgsqlConnection connection, MeshKey mesh, KnownRows known, string? snapshot, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        if (snapshot is not null)
        {
            await UseSnapshotAsync(connection, transaction, snapshot, cancellationToken);
        }

        var read = new Dictionary<long, StoredRow>();
        var missing = new List<long>();
        await using (var stamps = new NpgsqlCommand(StampsOfMesh, connection, transaction))
        {
            AddMesh(stamps.Parameters, mesh);
            await using var reader = await stamps.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetInt64(0);
                var rowVersion = reader.GetInt64(1);
                if (known.ById.TryGetValue(id, out var stored) && stored.RowVersion == rowVersion)
                {
                    read[id] = stored;
                }
                else
                {
                    missing.Add(id);
                }
            }
        }

        var readInFull = 0;
        if (missing.Count > 0)
        {
            readInFull = await ReadFullAsync(connection, transaction, FullRowsById, p => p.AddWithValue(missing.ToArray()), read, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (KnownRows.Of(read), readInFull);
    }

    /// <summary>
    /// An incremental read: the rows <paramref name="changes"/> names, in the log's snapshot, patched into
    /// <paramref name="known"/> (a named row that is gone was deleted; one with another id was deleted and created again).
    /// </summary>
    private static async Task<(KnownRows Read, int ReadInFull)> ReadNamedAsync(
        NpgsqlConnection connection, MeshKey mesh, KnownRows known, MeshChanges changes, CancellationToken cancellationToken)
    {
        if (changes.Rows.Count == 0)
        {
            // Only the mesh's Cloud Map registry changed (the loader reads it on every load): no row to read.
            return (known, 0);
        }

        var found = new Dictionary<long, StoredRow>();
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken))
        {
            await UseSnapshotAsync(connection, transaction, changes.Snapshot, cancellationToken);
            await ReadFullAsync(connection, transaction, NamedRowsOfMesh, p =>
            {
                AddMesh(p, mesh);
                p.AddWithValue(changes.Rows.Select(r => r.Kind).ToArray());
                p.AddWithValue(changes.Rows.Select(r => r.ParentName).ToArray());
                p.AddWithValue(changes.Rows.Select(r => r.Name).ToArray());
            }, found, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var byId = new Dictionary<long, StoredRow>(known.ById);
        var idByKey = new Dictionary<RowKey, long>(known.IdByKey);
        foreach (var key in changes.Rows)
        {
            if (idByKey.Remove(key, out var oldId))
            {
                byId.Remove(oldId);
            }
        }

        foreach (var (id, row) in found)
        {
            byId[id] = row;
            idByKey[RowKey.Of(row.Row)] = id;
        }

        return (new KnownRows(byId, idByKey), found.Count);
    }

    /// <summary>
    /// Makes the transaction see exactly the snapshot the feed read the change log in. It must be the transaction's
    /// first statement; the id is PostgreSQL's own (<c>pg_export_snapshot</c>), checked before it is written into the
    /// statement (SET takes no parameters).
    /// </summary>
    private static async Task UseSnapshotAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string snapshot, CancellationToken cancellationToken)
    {
        if (snapshot.Length == 0 || !snapshot.All(c => char.IsAsciiHexDigit(c) || c == '-'))
        {
            throw new ArgumentException($"Not a snapshot id: {snapshot}", nameof(snapshot));
        }

        await using var command = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshot}'", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads full rows into <paramref name="into"/>; returns how many.</summary>
    private static async Task<int> ReadFullAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        string sql,
        Action<NpgsqlParameterCollection> parameters,
        Dictionary<long, StoredRow> into,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        parameters(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            count++;
            var id = reader.GetInt64(0);
            into[id] = new StoredRow(id, reader.GetInt64(1), new MeshResourceRow(
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetInt64(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return count;
    }

    /// <summary>A row as read, with the id and row version (<c>xmin</c>) it was read at.</summary>
    private sealed record StoredRow(long Id, long RowVersion, MeshResourceRow Row);

    /// <summary>The rows of one read of a mesh, by id and by name; replaced whole by the next read, never changed.</summary>
    private sealed record KnownRows(Dictionary<long, StoredRow> ById, Dictionary<RowKey, long> IdByKey)
    {
        public static KnownRows Of(Dictionary<long, StoredRow> rows) =>
            new(rows, rows.Values.ToDictionary(r => RowKey.Of(r.Row), r => r.Id));
    }
}
