namespace Mesh.Api;

/// <summary>
/// Resource quotas, answered with LimitExceededException. The defaults sit far above App Mesh's
/// (15 meshes, 200 nodes/routers/services and 3 gateways per mesh, 50 routes per router, 10 gateway
/// routes per gateway, 50 backends per node); each can be raised or lowered in configuration.
/// </summary>
public sealed class QuotaOptions
{
    public int MeshesPerAccount { get; set; } = 1000;

    public int VirtualNodesPerMesh { get; set; } = 10000;

    public int VirtualServicesPerMesh { get; set; } = 10000;

    public int VirtualRoutersPerMesh { get; set; } = 10000;

    public int VirtualGatewaysPerMesh { get; set; } = 1000;

    public int RoutesPerVirtualRouter { get; set; } = 1000;

    public int GatewayRoutesPerVirtualGateway { get; set; } = 1000;

    public int BackendsPerVirtualNode { get; set; } = 500;

    public int TagsPerResource => 50;
}
