namespace Mesh.Api.Tests.Infrastructure;

/// <summary>The API's URIs, as the model binds them.</summary>
public static class Paths
{
    private const string Root = "/v20190125";

    public static string Meshes => $"{Root}/meshes";

    public static string Mesh(string mesh) => $"{Meshes}/{E(mesh)}";

    public static string VirtualNodes(string mesh) => $"{Mesh(mesh)}/virtualNodes";

    public static string VirtualNode(string mesh, string name) => $"{VirtualNodes(mesh)}/{E(name)}";

    public static string VirtualServices(string mesh) => $"{Mesh(mesh)}/virtualServices";

    public static string VirtualService(string mesh, string name) => $"{VirtualServices(mesh)}/{E(name)}";

    public static string VirtualRouters(string mesh) => $"{Mesh(mesh)}/virtualRouters";

    public static string VirtualRouter(string mesh, string name) => $"{VirtualRouters(mesh)}/{E(name)}";

    public static string Routes(string mesh, string router) => $"{Mesh(mesh)}/virtualRouter/{E(router)}/routes";

    public static string Route(string mesh, string router, string name) => $"{Routes(mesh, router)}/{E(name)}";

    public static string VirtualGateways(string mesh) => $"{Mesh(mesh)}/virtualGateways";

    public static string VirtualGateway(string mesh, string name) => $"{VirtualGateways(mesh)}/{E(name)}";

    public static string GatewayRoutes(string mesh, string gateway) => $"{Mesh(mesh)}/virtualGateway/{E(gateway)}/gatewayRoutes";

    public static string GatewayRoute(string mesh, string gateway, string name) => $"{GatewayRoutes(mesh, gateway)}/{E(name)}";

    public static string Tags(string arn) => $"{Root}/tags?resourceArn={E(arn)}";

    public static string Tag(string arn) => $"{Root}/tag?resourceArn={E(arn)}";

    public static string Untag(string arn) => $"{Root}/untag?resourceArn={E(arn)}";

    private static string E(string value) => Uri.EscapeDataString(value);
}
