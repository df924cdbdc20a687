namespace Mesh.Model.Graph;

/// <summary>One named, versioned App Mesh resource of a mesh with its parsed spec.</summary>
public sealed record MeshResource<TSpec>(string Name, long Version, TSpec Spec);
