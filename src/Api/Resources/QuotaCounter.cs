using Mesh.Model.Resources;
using Mesh.Persistence;
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

    private const string Scope = "account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4";

    /// <summary>
    /// The statements that count a new resource in its scope, sent in the write's first batch: a savepoint, the
    /// increment (waiting only for a create that holds the same shard), and the total as committed after the lock
    /// was taken (each statement of a batch takes a new snapshot). The last returns the total.
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> CountCreated(string account, ResourceId id)
    {
        var shard = (short)Random.Shared.Next(Shards);
        yield return WriteBatch.Statement("SAVEPOINT quota");
        yield return ScopeStatement(account, id, """
            INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
            VALUES ($1, $2, $3, $4, $5, 1)
            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = resource_counts.count + 1
            """, shard);
        yield return ScopeStatement(account, id, $"SELECT coalesce(sum(count), 0)::bigint FROM resource_counts WHERE {Scope}");
    }

    /// <summary>
    /// Whether the create counted by <see cref="CountCreated"/> (which saw <paramref name="total"/>) stays within
    /// <paramref name="limit"/>; false when it does not (the write must then fail). Near the limit this costs a
    /// round trip of its own, to count exactly.
    /// </summary>
    public static async Task<bool> WithinLimitAsync(WriteBatch batch, string account, ResourceId id, long total, int limit, CancellationToken ct)
    {
        if (total + Shards - 1 <= limit)
        {
            return true;
        }

        var results = await batch.SendAsync(
        [
            WriteBatch.Statement("ROLLBACK TO SAVEPOINT quota"),
            ScopeStatement(account, id, $"""
                INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
                SELECT $1, $2, $3, $4, s, 0 FROM generate_series(0, {Shards - 1}) AS s
                ON CONFLICT DO NOTHING
                """),
            ScopeStatement(account, id, $"SELECT count(*) FROM (SELECT 1 FROM resource_counts WHERE {Scope} ORDER BY shard FOR UPDATE) AS locked"),
            ScopeStatement(account, id, $"UPDATE resource_counts SET count = count + 1 WHERE {Scope} AND shard = 0"),
            ScopeStatement(account, id, $"SELECT coalesce(sum(count), 0)::bigint FROM resource_counts WHERE {Scope}"),
        ], ct);
        return (long)results[^1].Single! <= limit;
    }

    /// <summary>Queues the decrement of a random shard with the delete's other changes.</summary>
    public static void CountDeleted(WriteBatch batch, string account, ResourceId id)
    {
        var (mesh, kind, parent) = ScopeOf(id);
        batch.Queue("""
            INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
            VALUES ($1, $2, $3, $4, $5, -1)
            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = resource_counts.count - 1
            """, account, mesh, kind, parent, (short)Random.Shared.Next(Shards));
    }

    private static NpgsqlBatchCommand ScopeStatement(string account, ResourceId id, string sql, params object[] more)
    {
        var (mesh, kind, parent) = ScopeOf(id);
        return WriteBatch.Statement(sql, [account, mesh, kind, parent, .. more]);
    }

    /// <summary>Meshes count per account; everything else per mesh, and routes and gateway routes per parent.</summary>
    private static (string Mesh, string Kind, string Parent) ScopeOf(ResourceId id) =>
        (id.Kind.IsMesh ? "" : id.MeshName, id.Kind.WireName, id.ParentName);
}
