using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>What a virtual service resolves to: exactly one of a virtual node or a virtual router.</summary>
public sealed record ServiceProvider(MeshResource<VirtualNodeSpec>? VirtualNode, VirtualRouterResource? VirtualRouter);
