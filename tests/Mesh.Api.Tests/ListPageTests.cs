using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// A list page is one query whose rows are written straight to the answer: its items say what Describe says of the
/// same resources, an empty page of an existing mesh or parent is an empty list, and a missing one is still named.
/// </summary>
public sealed class ListPageTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Items_SayWhatDescribeSays()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("b");
        await mesh.NodeAsync("a");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "r1", Specs.HttpRoute(("b", 1)));

        var nodes = Items((await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh))).AssertOk(), "virtualNodes");
        Assert.Equal(["a", "b"], nodes.Select(n => n["virtualNodeName"]!.GetValue<string>()));
        foreach (var item in nodes)
        {
            var name = item["virtualNodeName"]!.GetValue<string>();
            var described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, name))).AssertOk().Body!;
            AssertRefOf(described, item, "virtualNodeName");
        }

        var route = Assert.Single(Items((await api.SendAsync(HttpMethod.Get, Paths.Routes(mesh.Mesh, "router"))).AssertOk(), "routes"));
        var describedRoute = (await api.SendAsync(HttpMethod.Get, Paths.Route(mesh.Mesh, "router", "r1"))).AssertOk().Body!;
        AssertRefOf(describedRoute, route, "routeName", "virtualRouterName");

        // Every mesh is its own mesh: each item of a mesh list names its mesh.
        var meshes = await AllMeshesAsync();
        var listed = Assert.Single(meshes, m => m["meshName"]!.GetValue<string>() == mesh.Mesh);
        var describedMesh = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk().Body!;
        AssertRefOf(describedMesh, listed);
        Assert.All(meshes, m => Assert.False(string.IsNullOrEmpty(m["meshName"]!.GetValue<string>())));
    }

    [Fact]
    public async Task EmptyPage_OfAnExistingMeshOrParent_IsAnEmptyList()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");

        var nodes = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh))).AssertOk();
        Assert.Empty(Items(nodes, "virtualNodes"));
        Assert.Null(nodes.Body!["nextToken"]);
        Assert.Empty(Items((await api.SendAsync(HttpMethod.Get, Paths.Routes(mesh.Mesh, "router"))).AssertOk(), "routes"));
    }

    [Fact]
    public async Task MissingMeshOrParent_IsNotFound_NamingIt()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var missingMesh = "missing-" + Guid.NewGuid().ToString("N")[..8];

        var nodes = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(missingMesh))).AssertError(404, "NotFoundException");
        Assert.Contains($"mesh '{missingMesh}'", nodes.Message, StringComparison.OrdinalIgnoreCase);

        var routes = (await api.SendAsync(HttpMethod.Get, Paths.Routes(mesh.Mesh, "no-router"))).AssertError(404, "NotFoundException");
        Assert.Contains("'no-router'", routes.Message, StringComparison.Ordinal);

        var routesOfMissingMesh = (await api.SendAsync(HttpMethod.Get, Paths.Routes(missingMesh, "no-router"))).AssertError(404, "NotFoundException");
        Assert.Contains($"mesh '{missingMesh}'", routesOfMissingMesh.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PageOfExactlyTheLimit_HasNoNextToken_AndOneLessHasOne()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await mesh.NodeAsync(name);
        }

        var full = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=3")).AssertOk();
        Assert.Equal(3, Items(full, "virtualNodes").Count);
        Assert.Null(full.Body!["nextToken"]);

        var partial = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=2")).AssertOk();
        Assert.Equal(["a", "b"], Items(partial, "virtualNodes").Select(n => n["virtualNodeName"]!.GetValue<string>()));
        var token = partial.Body!["nextToken"]!.GetValue<string>();
        var rest = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=2&nextToken=" + Uri.EscapeDataString(token))).AssertOk();
        Assert.Equal(["c"], Items(rest, "virtualNodes").Select(n => n["virtualNodeName"]!.GetValue<string>()));
        Assert.Null(rest.Body!["nextToken"]);
    }

    private async Task<List<JsonNode>> AllMeshesAsync()
    {
        var all = new List<JsonNode>();
        string? token = null;
        do
        {
            var page = (await api.SendAsync(HttpMethod.Get, Paths.Meshes + (token is null ? "" : "?nextToken=" + Uri.EscapeDataString(token)))).AssertOk();
            all.AddRange(Items(page, "meshes"));
            token = page.Body!["nextToken"]?.GetValue<string>();
        }
        while (token is not null);
        return all;
    }

    private static List<JsonNode> Items(ApiResponse page, string member) => page.Body![member]!.AsArray().Select(n => n!).ToList();

    /// <summary>The list item carries exactly what the Ref shape names, with the values Describe gives.</summary>
    private static void AssertRefOf(JsonNode described, JsonNode item, params string[] names)
    {
        var expected = RefOf(described, names);
        Assert.Equal(
            expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value!.ToJsonString())),
            item.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value!.ToJsonString())));
    }

    /// <summary>What a list item must say of a described resource: its Ref shape's members, from the Describe answer.</summary>
    internal static JsonObject RefOf(JsonNode described, params string[] names)
    {
        var metadata = described["metadata"]!;
        var expected = new JsonObject
        {
            ["arn"] = metadata["arn"]!.DeepClone(),
            ["createdAt"] = metadata["createdAt"]!.DeepClone(),
            ["lastUpdatedAt"] = metadata["lastUpdatedAt"]!.DeepClone(),
            ["meshName"] = described["meshName"]!.DeepClone(),
            ["meshOwner"] = metadata["meshOwner"]!.DeepClone(),
            ["resourceOwner"] = metadata["resourceOwner"]!.DeepClone(),
            ["version"] = metadata["version"]!.DeepClone(),
        };
        foreach (var name in names)
        {
            expected[name] = described[name]!.DeepClone();
        }

        return expected;
    }
}
