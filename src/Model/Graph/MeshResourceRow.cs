namespace Mesh.Model.Graph;

/// <summary>
/// One stored resource as the graph builder takes it. <paramref name="Kind"/> is the wire name
/// (<see cref="MeshResourceKinds"/>); <paramref name="ParentName"/> is the router of a route or the gateway of a
/// gateway route, and empty (or null) for every other kind. <paramref name="TagsJson"/> is the stored tag list
/// (<c>[{"key": …, "value": …}]</c>); only the mesh row's is read, for the settings carried as tags
/// (<see cref="Observability.MeshObservability"/>).
/// </summary>
public readonly record struct MeshResourceRow(string Kind, string? ParentName, string Name, long Version, string SpecJson, string? TagsJson = null);
