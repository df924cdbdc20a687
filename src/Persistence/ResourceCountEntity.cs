namespace Mesh.Persistence;

/// <summary>
/// How many resources of one kind exist in one quota scope, kept in step with the resources table by every
/// create and delete in the same transaction. A create increments its row first, so the row lock is what
/// makes a quota exact under concurrent creates, and the check costs one row however large the mesh is.
/// </summary>
public sealed class ResourceCountEntity
{
    public required string AccountId { get; set; }

    /// <summary>The mesh counted in; empty for the count of meshes in the account.</summary>
    public required string MeshName { get; set; }

    public required string Kind { get; set; }

    /// <summary>The virtual router or virtual gateway for routes and gateway routes; else empty.</summary>
    public required string ParentName { get; set; }

    public int Count { get; set; }
}
