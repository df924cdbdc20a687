namespace Mesh.Model.Graph;

/// <summary>
/// The wire names of the resource kinds (App Mesh's own, also the store's <c>kind</c> column) as constants, for
/// <c>switch</c> labels and row building. <see cref="Mesh.Model.Resources.ResourceKind"/> takes its names from here;
/// everything else about a kind lives there.
/// </summary>
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
