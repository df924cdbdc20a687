using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Keeps each quota exact under concurrent creates without making the creates of one scope (say, virtual nodes
/// in one mesh, as terraform writes them) wait for each other's commits.
/// </summary>
/// <remarks>
/// A scope's count is split over <see cref="Shards"/> rows (resource_counts). A create increments one shard
/// picked at random, which locks only that row until it commits, then reads the scope's total in a new
/// statement. Every create still uncommitted at that moment holds a different shard, so at most
/// <c>Shards - 1</c> of them are missing from the total: when total + Shards - 1 is within the limit, the create
/// is safe whatever they do. Near the limit the create undoes its increment (a savepoint, which also drops the
/// lock), makes sure every shard row exists, locks all of them in order, and counts exactly. Deletes decrement a
/// random shard; they only ever make the total smaller, so they cannot break the reasoning.
/// </remarks>
public static class QuotaCounter
{
    public const int Shards = 32;

    private const string Scope = "account_id = @account AND mesh_name = @mesh AND kind = @kind AND parent_name = @parent";

    /// <summary>Counts a new resource in its scope; false when that takes the scope over <paramref name="limit"/> (the write must then fail).</summary>
    public static async Task<bool> TryCountCreatedAsync(MeshDbContext db, string account, ResourceId id, int limit, CancellationToken ct)
    {
        // One round trip: the savepoint, the increment (waiting only for a create that holds the same shard), and
        // the total as committed after the lock was taken (each statement of a batch takes a new snapshot).
        var total = await LastValueAsync(db, account, id, $"""
            SAVEPOINT quota;
            INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
            VALUES (@account, @mesh, @kind, @parent, @shard, 1)
            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = resource_counts.count + 1;
            SELECT coalesce(sum(count), 0)::bigint FROM resource_counts WHERE {Scope};
            """, ct);
        if (total + Shards - 1 <= limit)
        {
            return true;
        }

        total = await LastValueAsync(db, account, id, $"""
            ROLLBACK TO SAVEPOINT quota;
            INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
            SELECT @account, @mesh, @kind, @parent, s, 0 FROM generate_series(0, {Shards - 1}) AS s
            ON CONFLICT DO NOTHING;
            SELECT count(*) FROM (SELECT 1 FROM resource_counts WHERE {Scope} ORDER BY shard FOR UPDATE) AS locked;
            UPDATE resource_counts SET count = count + 1 WHERE {Scope} AND shard = 0;
            SELECT coalesce(sum(count), 0)::bigint FROM resource_counts WHERE {Scope};
            """, ct);
        return total <= limit;
    }

    public static Task CountDeletedAsync(MeshDbContext db, string account, ResourceId id, CancellationToken ct) =>
        LastValueAsync(db, account, id, """
            INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
            VALUES (@account, @mesh, @kind, @parent, @shard, -1)
            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = resource_counts.count - 1;
            SELECT 0::bigint;
            """, ct);

    /// <summary>Runs the statements in the write's transaction, in one round trip, and returns what the last one selected.</summary>
    private static async Task<long> LastValueAsync(MeshDbContext db, string account, ResourceId id, string sql, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand(sql, connection)
        {
            Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
                ?? throw new InvalidOperationException("Quota counts change only inside a write transaction."),
        };

        // Meshes count per account; everything else per mesh, and routes and gateway routes per parent.
        command.Parameters.AddWithValue("account", account);
        command.Parameters.AddWithValue("mesh", id.Kind.IsMesh ? "" : id.MeshName);
        command.Parameters.AddWithValue("kind", id.Kind.WireName);
        command.Parameters.AddWithValue("parent", id.ParentName);
        command.Parameters.AddWithValue("shard", (short)Random.Shared.Next(Shards));

        long last = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        do
        {
            while (await reader.ReadAsync(ct))
            {
                last = reader.GetInt64(0);
            }
        }
        while (await reader.NextResultAsync(ct));
        return last;
    }
}
