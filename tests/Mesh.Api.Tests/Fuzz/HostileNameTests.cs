using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>Names in URI labels that App Mesh's naming rules refuse, sent as the CLI would percent-encode them.</summary>
public sealed class HostileNameTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Theory]
    [InlineData("a%2Fb", "must not contain '/'")]
    [InlineData("a%01b", "must not contain control characters")]
    [InlineData("tab%09", "must not contain control characters")]
    public async Task DescribeMesh_WithRefusedName_NamesEachProblemOnce(string encodedName, string problem)
    {
        var response = await api.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{encodedName}");

        response.AssertError(400, "BadRequestException");
        // The mesh is named by one member, meshName; its problem is reported once, not once per role.
        Assert.Equal(1, CountOf(response.Message, "meshName: " + problem));
        Assert.StartsWith("1 validation error detected", response.Message);
    }

    [Fact]
    public async Task DescribeVirtualNode_WithRefusedMeshAndNodeNames_ReportsBoth()
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v20190125/meshes/a%2Fb/virtualNodes/c%01d");

        response.AssertError(400, "BadRequestException");
        Assert.Equal(1, CountOf(response.Message, "meshName: must not contain '/'"));
        Assert.Equal(1, CountOf(response.Message, "virtualNodeName: must not contain control characters"));
    }

    [Theory]
    [InlineData("a%41")]
    [InlineData("a%2Fb")]
    [InlineData("100%")]
    [InlineData("%25")]
    [InlineData("sp ace+plus")]
    public async Task NameWithPercentSigns_IsAddressedByItsEncodedForm(string name)
    {
        // Created with the name in the body, then addressed by the label the SDKs send: the name
        // percent-encoded once. The label must decode to the same name, not be decoded twice.
        var created = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new System.Text.Json.Nodes.JsonObject { ["meshName"] = name });
        created.AssertOk();

        var described = await api.SendAsync(HttpMethod.Get, Paths.Mesh(name));
        described.AssertOk();
        Assert.Equal(name, described.Body!["meshName"]!.GetValue<string>());

        var deleted = await api.SendAsync(HttpMethod.Delete, Paths.Mesh(name));
        Assert.Equal(name, deleted.AssertOk().Body!["meshName"]!.GetValue<string>());
    }

    [Fact]
    public async Task EncodedSlashInLabel_IsASlash_NotTheLiteralName()
    {
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new System.Text.Json.Nodes.JsonObject { ["meshName"] = "x%2Fy" })).AssertOk();

        // "x%2Fy" on the wire is the name "x/y", which no resource can have; the mesh named "x%2Fy" is "x%252Fy".
        var response = await api.SendAsync(HttpMethod.Get, "/v20190125/meshes/x%2Fy");
        response.AssertError(400, "BadRequestException");
        Assert.Contains("meshName: must not contain '/'", response.Message);
        (await api.SendAsync(HttpMethod.Get, "/v20190125/meshes/x%252Fy")).AssertOk();
    }

    [Fact]
    public async Task EmptyVirtualServiceName_IsRefused()
    {
        // The model gives ServiceName no minimum, but a service named "" could never be addressed (its path is the
        // list's), and its mesh could then never be deleted.
        var mesh = await MeshBuilder.CreateAsync(api);

        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new System.Text.Json.Nodes.JsonObject { ["virtualServiceName"] = "", ["spec"] = new System.Text.Json.Nodes.JsonObject() });

        response.AssertError(400, "BadRequestException");
        Assert.Contains("virtualServiceName: must not be empty", response.Message);
        (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh))).AssertOk();
    }

    [Fact]
    public async Task NameLength_IsCountedInCharacters_NotUtf16Units_AndHeldToWhatTheIndexHolds()
    {
        // 191 characters outside the BMP, each different so that PostgreSQL cannot compress them: 382 UTF-16 units,
        // 764 UTF-8 bytes. A route's mesh, router and own name at that size fill most of the identity index's row.
        var name = Astral(191, 0);
        var router = Astral(191, 1000);
        var created = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new System.Text.Json.Nodes.JsonObject { ["meshName"] = name });
        created.AssertOk();
        await new MeshBuilder(api, name).NodeAsync("n");
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualRouters(name), new System.Text.Json.Nodes.JsonObject
        {
            ["virtualRouterName"] = router,
            ["spec"] = Specs.RouterSpec(8080),
        })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Routes(name, router), new System.Text.Json.Nodes.JsonObject
        {
            ["routeName"] = router,
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["httpRoute"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["match"] = new System.Text.Json.Nodes.JsonObject { ["prefix"] = "/" },
                    ["action"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["weightedTargets"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["virtualNode"] = "n", ["weight"] = 1 }),
                    },
                },
            },
        })).AssertOk();
        Assert.Equal(router, (await api.SendAsync(HttpMethod.Get, Paths.Route(name, router, router))).AssertOk().Body!["routeName"]!.GetValue<string>());

        // 255 characters of the BMP at 3 bytes each are kept whole.
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new System.Text.Json.Nodes.JsonObject { ["meshName"] = new string('\u4e2d', 255) })).AssertOk();

        var tooLong = await api.SendAsync(HttpMethod.Put, Paths.Meshes,
            new System.Text.Json.Nodes.JsonObject { ["meshName"] = string.Concat(Enumerable.Repeat("\U0001F600", 256)) });
        tooLong.AssertError(400, "BadRequestException");
        Assert.Contains("got 256", tooLong.Message);
        Assert.Equal(1, CountOf(tooLong.Message, "meshName: must be at most 255"));

        var tooManyBytes = await api.SendAsync(HttpMethod.Put, Paths.VirtualRouters(name), new System.Text.Json.Nodes.JsonObject
        {
            ["virtualRouterName"] = Astral(192, 2000),
            ["spec"] = Specs.RouterSpec(8080),
        });
        tooManyBytes.AssertError(400, "BadRequestException");
        Assert.Contains("virtualRouterName: must be at most 765 bytes in UTF-8 (a character outside the Basic Multilingual Plane, such as an emoji, takes 4), got 768", tooManyBytes.Message);
    }

    /// <summary><paramref name="count"/> distinct characters outside the BMP, from U+20000 + <paramref name="offset"/> on.</summary>
    private static string Astral(int count, int offset) =>
        string.Concat(Enumerable.Range(0, count).Select(i => char.ConvertFromUtf32(0x20000 + offset + i)));

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
