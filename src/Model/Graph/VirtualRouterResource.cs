using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>A virtual router with its routes, sorted by route name.</summary>
public sealed record VirtualRouterResource(string Name, long Version, VirtualRouterSpec Spec, EquatableList<MeshResource<RouteSpec>> Routes);
