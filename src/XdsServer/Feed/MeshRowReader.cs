using System.Collections.Concurrent;
using System.Data;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Reads the live rows of one mesh for the loader, transferring in full only the rows that changed since its last
/// read of that mesh. A reload of a big mesh used to read every row's spec (20,000 nodes: 370–560 ms of
/// PostgreSQL per change, competing with the API's writes); now it reads every row's id and row version
/// (PostgreSQL's <c>xmin</c>, which any write of the row changes, whoever makes it, tags included), then the full
/// rows of the ids it has not seen at that row version, both in one repeatable-read transaction, so the rows are
/// one consistent state of the mesh, exactly what a single read of every row would have returned then. The result
/// is therefore the same row set, so the graph and every version built from it are the same as before (and the
/// same on every replica). Thread-safe; loads of one mesh may run at once (every remembered row is right for its
/// id and row version, however old).
/// </summary>
public sealed class MeshRowReader
{
    private readonly ConcurrentDictionary<MeshKey, IReadOnlyDictionary<long, StoredRow>> _known = new();

    /// <summary>What the last read did: rows in the mesh, and of them read in full (not remembered).</summary>
    public readonly record struct ReadCounts(int Rows, int ReadInFull);

    /// <summary>The mesh's live rows (the mesh row included), or an empty list when the mesh does not exist.</summary>
    public async Task<(List<MeshResourceRow> Rows, ReadCounts Counts)> ReadAsync(MeshDbContext db, MeshKey mesh, CancellationToken cancellationToken)
    {
        var known = _known.GetValueOrDefault(mesh) ?? new Dictionary<long, StoredRow>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var read = new Dictionary<long, StoredRow>();
            int readInFull;
            if (known.Count == 0)
            {
                // Nothing remembered: one statement, every row in full, as before.
                readInFull = await ReadFullAsync(connection, null, FullRowsOfMesh, p => AddMesh(p, mesh), read, cancellationToken);
            }
            else
            {
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
                var missing = new List<long>();
                await using (var stamps = new NpgsqlCommand(StampsOfMesh, connection, transaction))
                {
                    AddMesh(stamps.Parameters, mesh);
                    await using var reader = await stamps.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var id = reader.GetInt64(0);
                        var rowVersion = reader.GetInt64(1);
                        if (known.TryGetValue(id, out var stored) && stored.RowVersion == rowVersion)
                        {
                            read[id] = stored;
                        }
                        else
                        {
                            missing.Add(id);
                        }
                    }
                }

                readInFull = 0;
                if (missing.Count > 0)
                {
                    readInFull = await ReadFullAsync(connection, transaction, FullRowsById, p => p.AddWithValue(missing.ToArray()), read, cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            if (read.Count == 0)
            {
                _known.TryRemove(mesh, out _);
            }
            else
            {
                _known[mesh] = read;
            }

            return ([.. read.Values.Select(r => r.Row)], new ReadCounts(read.Count, readInFull));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
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
    public void Forget(MeshKey mesh) => _known.TryRemove(mesh, out _);

    private const string Columns = "id, xmin::text::bigint, kind, parent_name, name, version, spec::text, tags::text";

    private const string FullRowsOfMesh = $"SELECT {Columns} FROM resources WHERE account_id = $1 AND mesh_name = $2";

    private const string FullRowsById = $"SELECT {Columns} FROM resources WHERE id = ANY($1)";

    private const string StampsOfMesh = "SELECT id, xmin::text::bigint FROM resources WHERE account_id = $1 AND mesh_name = $2";

    private static void AddMesh(NpgsqlParameterCollection parameters, MeshKey mesh)
    {
        parameters.AddWithValue(mesh.AccountId);
        parameters.AddWithValue(mesh.MeshName);
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
}
