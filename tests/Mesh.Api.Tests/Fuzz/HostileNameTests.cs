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
