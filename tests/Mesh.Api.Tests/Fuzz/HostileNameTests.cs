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
