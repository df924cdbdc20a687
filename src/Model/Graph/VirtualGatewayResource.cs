using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>A virtual gateway with its gateway routes, sorted by gateway route name.</summary>
public sealed record VirtualGatewayResource(string Name, long Version, VirtualGatewaySpec Spec, EquatableList<MeshResource<GatewayRouteSpec>> GatewayRoutes);
