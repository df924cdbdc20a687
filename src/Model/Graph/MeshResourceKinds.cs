namespace Mesh.Model.Graph;

/// <summary>The resource kind names the store uses, which are App Mesh's own.</summary>
public static class MeshResourceKinds
{
    public const string Mesh = "mesh";
    public const string VirtualNode = "virtualNode";
    public const string VirtualService = "virtualService";
    public const string VirtualRouter = "virtualRouter";
    public const string Route = "route";
    public const string VirtualGateway = "virtualGateway";
    public const string GatewayRoute = "gatewayRoute";
}
