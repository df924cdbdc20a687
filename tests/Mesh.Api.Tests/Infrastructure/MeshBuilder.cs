using System.Text.Json.Nodes;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>Creates resources through the API, asserting each create succeeds.</summary>
public sealed class MeshBuilder(ApiServer api, string mesh)
{
    public string Mesh => mesh;

    public static async Task<MeshBuilder> CreateAsync(ApiServer api, string? name = null)
    {
        var mesh = name ?? "mesh-" + Guid.NewGuid().ToString("N")[..10];
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh })).AssertOk();
        return new MeshBuilder(api, mesh);
    }

    public Task<JsonNode> NodeAsync(string name, JsonObject? spec = null) =>
        CreateAsync(Paths.VirtualNodes(mesh), "virtualNodeName", name, spec ?? Specs.VirtualNode());

    public Task<JsonNode> RouterAsync(string name, JsonObject? spec = null) =>
        CreateAsync(Paths.VirtualRouters(mesh), "virtualRouterName", name, spec ?? Specs.RouterSpec(8080));

    public Task<JsonNode> ServiceAsync(string name, JsonObject spec) =>
        CreateAsync(Paths.VirtualServices(mesh), "virtualServiceName", name, spec);

    public Task<JsonNode> RouteAsync(string router, string name, JsonObject spec) =>
        CreateAsync(Paths.Routes(mesh, router), "routeName", name, spec);

    public Task<JsonNode> GatewayAsync(string name, JsonObject? spec = null) =>
        CreateAsync(Paths.VirtualGateways(mesh), "virtualGatewayName", name, spec ?? Specs.GatewaySpec());

    public Task<JsonNode> GatewayRouteAsync(string gateway, string name, JsonObject spec) =>
        CreateAsync(Paths.GatewayRoutes(mesh, gateway), "gatewayRouteName", name, spec);

    private async Task<JsonNode> CreateAsync(string path, string nameMember, string name, JsonObject spec)
    {
        var response = await api.SendAsync(HttpMethod.Put, path, new JsonObject { [nameMember] = name, ["spec"] = spec });
        return response.AssertOk().Body!;
    }
}
