namespace Mesh.Persistence;

/// <summary>
/// Part of the count of resources of one kind in one quota scope, kept in step with the resources table by every
/// create and delete in the same transaction. The count is split over shards so that concurrent creates in one
/// scope lock different rows and do not queue behind each other's commits; the sum over a scope's shards is its
/// count (see QuotaCounter for why the quota stays exact).
/// </summary>
public sealed class ResourceCountEntity
{
    public required string AccountId { get; set; }

    /// <summary>The mesh counted in; empty for the count of meshes in the account.</summary>
    public required string MeshName { get; set; }

    public required string Kind { get; set; }

    /// <summary>The virtual router or virtual gateway for routes and gateway routes; else empty.</summary>
    public required string ParentName { get; set; }

    /// <summary>Which part of the scope's count this row holds (0 to QuotaCounter.Shards - 1).</summary>
    public short Shard { get; set; }

    public int Count { get; set; }
}
