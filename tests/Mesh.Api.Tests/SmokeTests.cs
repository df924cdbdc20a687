using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

public sealed class SmokeTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task CreateMesh_ReturnsBareMeshData()
    {
        var response = await api.SendAsync(HttpMethod.Put, "/v20190125/meshes", new JsonObject { ["meshName"] = "smoke" });
        response.AssertOk();
        Assert.Equal("smoke", response.Body!["meshName"]!.GetValue<string>());
        Assert.Equal(1, response.Body["metadata"]!["version"]!.GetValue<long>());
    }
}
