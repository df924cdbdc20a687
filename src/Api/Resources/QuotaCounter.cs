using Mesh.Model.Resources;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Keeps each quota exact under concurrent creates without making the creates of one scope (say, virtual nodes
/// in one mesh, as terraform writes them) wait for each other.
/// </summary>
/// <remarks>
/// A scope's count is split over <see cref="Shards"/> rows (resource_counts). A create counts itself with one
/// statement, <c>mesh_count_created</c> (migration <c>QuotaCountAtCommit</c>), which the create's write function
/// (migration <c>WriteFunctions</c>) runs last, right before the write's commit, so the
/// shard it holds is held only for the commit itself: the function takes a shard no other write holds (a
/// transaction-level advisory lock per scope and shard, tried without waiting from the shard picked here at random, so
/// that concurrent creates do not all try the same held shards first; migrations <c>QuotaShardWalkFromPick</c> and
/// <c>QuotaShardAdvisoryLocks</c>), or, when every shard is held, the picked one (waiting for its holder's commit), and
/// increments that shard's row (making it when missing: no other write can be making it, so a new scope's first creates
/// do not wait for each other), then reads the scope's total in a new statement (a VOLATILE function's statements each
/// take a new snapshot, so the total includes everything committed before the lock was granted). Every create still uncommitted at that
/// moment holds a different shard, so at most <c>Shards - 1</c> of them are missing from the total: when
/// total + Shards - 1 is within the limit, the create is safe whatever they do. Otherwise the function fails the
/// write with <see cref="NearLimitState"/>; the caller runs it again counting exactly (<c>exact</c>: every shard
/// shard locked in order and its row made to exist, then counted), which fails with <see cref="OverLimitState"/> when the
/// create would exceed the limit. Deletes decrement a shard the same way (<c>mesh_count_deleted</c>), also last before their commit; they only ever
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
    /// Where a write starts looking for a shard of its scope that no other write holds, and the shard it waits for
    /// when every one is held: picked at random, so that concurrent writes spread over the scope's shards.
    /// </summary>
    public static short PickShard() => (short)Random.Shared.Next(Shards);

    public static bool IsNearLimit(Exception error) => error is PostgresException { SqlState: NearLimitState };

    public static bool IsOverLimit(Exception error) => error is PostgresException { SqlState: OverLimitState };

    /// <summary>Meshes count per account; everything else per mesh, and routes and gateway routes per parent.</summary>
    public static (string Mesh, string Kind, string Parent) ScopeOf(ResourceId id) =>
        (id.Kind.IsMesh ? "" : id.MeshName, id.Kind.WireName, id.ParentName);
}
