using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// The calls Terraform's AWS provider makes for an <c>aws_appmesh_mesh</c> through its life (README, "Terraform"), in its
/// order and with its inputs, and what it reads from each answer: create with an empty spec and with tags, read back with
/// <c>meshOwner</c> once it is in the state, tags listed by the ARN it read, tags changed by untag-then-tag, and a
/// delete whose NotFoundException (after the resource is gone) the provider treats as done.
/// </summary>
public sealed class TerraformProviderTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task A_Mesh_Resource_Goes_Through_Create_Read_Update_And_Delete_As_The_Provider_Drives_It()
    {
        var name = "tf-" + Guid.NewGuid().ToString("N")[..8];

        // terraform apply: CreateMesh with the resource's tags and, with no spec block, an empty spec (the provider's
        // expandMeshSpec never returns nil), then a read.
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = name,
            ["spec"] = new JsonObject(),
            ["tags"] = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "payments" }, new JsonObject { ["key"] = "env", ["value"] = "prod" }),
        })).AssertOk();
        var read = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(name))).AssertOk().Body!; // the payload is the MeshData
        Assert.Equal("ACTIVE", read["status"]!["status"]!.GetValue<string>());
        var arn = read["metadata"]!["arn"]!.GetValue<string>();
        var owner = read["metadata"]!["meshOwner"]!.GetValue<string>();
        Assert.Equal(ApiServer.AccountId, read["metadata"]!["resourceOwner"]!.GetValue<string>());
        Assert.True(read["metadata"]!["createdAt"]!.GetValue<double>() > 0); // epoch seconds, formatted RFC 3339 into the state
        Assert.Equal(new Dictionary<string, string> { ["env"] = "prod", ["team"] = "payments" }, await TagsAsync(arn));

        // Every later read sends mesh_owner from the state.
        (await api.SendAsync(HttpMethod.Get, $"{Paths.Mesh(name)}?meshOwner={owner}")).AssertOk();

        // A changed spec and tags: UpdateMesh, then UntagResource for removed keys and TagResource for new values.
        (await api.SendAsync(HttpMethod.Put, Paths.Mesh(name), new JsonObject
        {
            ["spec"] = new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "ALLOW_ALL" } },
        })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Untag(arn), new JsonObject { ["tagKeys"] = new JsonArray("env") })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject
        {
            ["tags"] = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "platform" }),
        })).AssertOk();
        var updated = (await api.SendAsync(HttpMethod.Get, $"{Paths.Mesh(name)}?meshOwner={owner}")).AssertOk().Body!;
        Assert.Equal("ALLOW_ALL", updated["spec"]!["egressFilter"]!["type"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["team"] = "platform" }, await TagsAsync(arn));

        // terraform destroy; a second destroy (or a refresh) finds NotFoundException, which the provider takes as gone.
        (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(name))).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(name))).AssertError(404, "NotFoundException");
        (await api.SendAsync(HttpMethod.Get, $"{Paths.Mesh(name)}?meshOwner={owner}")).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task A_Gateway_Route_Matching_Only_A_Hostname_Is_Created_And_Read_Back_As_Sent()
    {
        // aws_appmesh_gateway_route takes `match { hostname { exact = ... } }` with no prefix or path (its schema needs
        // one of the three), and its acceptance tests create exactly this against App Mesh.
        var mesh = "tf-" + Guid.NewGuid().ToString("N")[..8];
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh, ["spec"] = new JsonObject() })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualGateways(mesh), new JsonObject
        {
            ["virtualGatewayName"] = "gw",
            ["spec"] = JsonNode.Parse("""{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
        })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh), new JsonObject
        {
            ["virtualServiceName"] = "svc.example.local",
            ["spec"] = new JsonObject(),
        })).AssertOk();
        foreach (var protocol in new[] { "httpRoute", "http2Route" })
        {
            var spec = JsonNode.Parse("{\"" + protocol + "\":{\"match\":{\"hostname\":{\"exact\":\"test.example.com\"}},\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc.example.local\"}}}}}")!;
            var created = (await api.SendAsync(HttpMethod.Put, Paths.GatewayRoutes(mesh, "gw"), new JsonObject
            {
                ["gatewayRouteName"] = protocol,
                ["spec"] = spec.DeepClone(),
            })).AssertOk().Body!;
            Assert.True(JsonNode.DeepEquals(spec, created["spec"]), created["spec"]!.ToJsonString());

            var read = (await api.SendAsync(HttpMethod.Get, Paths.GatewayRoute(mesh, "gw", protocol))).AssertOk().Body!;
            Assert.True(JsonNode.DeepEquals(spec, read["spec"]), read["spec"]!.ToJsonString());
        }

        // Without any of the three, it is refused, naming them.
        var refused = (await api.SendAsync(HttpMethod.Put, Paths.GatewayRoutes(mesh, "gw"), new JsonObject
        {
            ["gatewayRouteName"] = "nothing",
            ["spec"] = JsonNode.Parse("""{"httpRoute":{"match":{"method":"GET"},"action":{"target":{"virtualService":{"virtualServiceName":"svc.example.local"}}}}}"""),
        })).AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.match: must set at least one of prefix, path, hostname", refused.Message, StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, string>> TagsAsync(string arn)
    {
        var tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        return tags.ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["value"]!.GetValue<string>());
    }
}
