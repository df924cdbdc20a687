namespace Mesh.Persistence;

/// <summary>
/// One App Mesh resource of any kind, as stored. All seven kinds share one table so that
/// uniqueness, versioning and the change feed work the same way for each of them.
/// </summary>
public sealed class ResourceEntity
{
    public long Id { get; set; }

    /// <summary>The 12-digit account that owns the mesh (App Mesh's meshOwner).</summary>
    public required string AccountId { get; set; }

    /// <summary>The mesh the resource lives in; for a mesh row, its own name.</summary>
    public required string MeshName { get; set; }

    /// <summary>A resource kind's wire name (the model's <c>ResourceKind.WireName</c>): mesh, virtualNode, virtualService, virtualRouter, route, virtualGateway, gatewayRoute.</summary>
    public required string Kind { get; set; }

    /// <summary>The virtual router of a route or the virtual gateway of a gateway route; empty for every other kind.</summary>
    public required string ParentName { get; set; }

    public required string Name { get; set; }

    public required string Arn { get; set; }

    public Guid Uid { get; set; }

    /// <summary>App Mesh's version: 1 on create, +1 on each update, checked in the UPDATE itself.</summary>
    public long Version { get; set; }

    /// <summary>The spec exactly as the wire carries it (e.g. a VirtualNodeSpec), stored as jsonb.</summary>
    public required string Spec { get; set; }

    /// <summary>The TagList as a jsonb array of {key, value}.</summary>
    public required string Tags { get; set; }

    /// <summary>
    /// The resources this spec depends on, as "kind/name" keys (see SpecReference.Key). A GIN index
    /// makes "is anything still using this?" one indexed lookup when a resource is deleted.
    /// </summary>
    public string[] Refs { get; set; } = [];

    /// <summary>The 12-digit account that created the resource (App Mesh's resourceOwner).</summary>
    public required string ResourceOwner { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastUpdatedAt { get; set; }
}
