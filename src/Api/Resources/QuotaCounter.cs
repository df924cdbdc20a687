using Mesh.Model.Resources;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Keeps each quota exact under concurrent creates without making the creates of one scope (say, virtual nodes
/// in one mesh, as terraform writes them) wait for each other.
/// </summary>
/// <remarks>
/// A scope's count is split over <see cref="Shards"/> rows (resource_counts). A create counts itself with one
/// statement, <c>mesh_count_created</c> (migration <c>QuotaCountAtCommit</c>), sent last before its COMMIT, so the
/// shard it locks is held only for the commit itself: the function increments a shard row no other write holds
/// (FOR UPDATE SKIP LOCKED), or, when every existing row is held, one picked at random (waiting for its holder's
/// commit), then reads the scope's total in a new statement (a VOLATILE function's statements each take a new snapshot, so the
/// total includes everything committed before the lock was granted). Every create still uncommitted at that
/// moment holds a different shard, so at most <c>Shards - 1</c> of them are missing from the total: when
/// total + Shards - 1 is within the limit, the create is safe whatever they do. Otherwise the function fails the
/// write with <see cref="NearLimitState"/>; the caller runs it again counting exactly (<c>exact</c>: every shard
/// row made to exist and locked in order, then counted), which fails with <see cref="OverLimitState"/> when the
/// create would exceed the limit. Deletes decrement a shard the same way, also last before their COMMIT; they only ever
/// make the total smaller, so they cannot break the reasoning. A scope's shard rows appear as concurrency needs
/// them, never more than <see cref="Shards"/>.
/// </remarks>
public static class QuotaCounter
{
    public const int Shards = 32;

    /// <summary>The SQLSTATE of a create that the optimistic count could not admit: run it again with an exact count.</summary>
    public const string NearLimitState = "MQ001";

    /// <summary>The SQLSTATE of a create the exact count refused: the quota is reached.</summary>
    public const string OverLimitState = "MQ002";

    /// <summary>
    /// Queues the count of a new resource in its scope to run right before the write's COMMIT; the write fails with
    /// <see cref="NearLimitState"/> or <see cref="OverLimitState"/> (see the remarks) when it cannot be admitted.
    /// </summary>
    public static void CountCreated(WriteBatch batch, string account, ResourceId id, int limit, bool exact)
    {
        var (mesh, kind, parent) = ScopeOf(id);
        batch.QueueAtCommit(
            "SELECT mesh_count_created($1, $2, $3, $4, $5, $6, $7, $8)",
            account, mesh, kind, parent, (short)Random.Shared.Next(Shards), Shards, (long)limit, exact);
    }

    /// <summary>Queues the decrement of a random shard, last before the delete's COMMIT.</summary>
    public static void CountDeleted(WriteBatch batch, string account, ResourceId id)
    {
        var (mesh, kind, parent) = ScopeOf(id);
        batch.QueueAtCommit(
            "SELECT count(*) FROM (SELECT mesh_count_deleted($1, $2, $3, $4, $5)) AS counted",
            account, mesh, kind, parent, (short)Random.Shared.Next(Shards));
    }

    public static bool IsNearLimit(Exception error) => error is PostgresException { SqlState: NearLimitState };

    public static bool IsOverLimit(Exception error) => error is PostgresException { SqlState: OverLimitState };

    /// <summary>Meshes count per account; everything else per mesh, and routes and gateway routes per parent.</summary>
    private static (string Mesh, string Kind, string Parent) ScopeOf(ResourceId id) =>
        (id.Kind.IsMesh ? "" : id.MeshName, id.Kind.WireName, id.ParentName);
}
