using System.Text.Json.Nodes;

namespace Mesh.Api.Tests;

/// <summary>
/// The API's garbage collector is chosen in its project, so every way the API is started (./run.sh, the container
/// image, `dotnet Mesh.Api.dll`) runs the one that was measured (Mesh.Api.csproj says why: workstation, concurrent).
/// </summary>
public sealed class GcSettingsTests
{
    [Fact]
    public void The_Api_Runs_The_Workstation_Collector_In_The_Background_Mode()
    {
        // The referenced host's runtimeconfig.json is copied beside the tests: it is the file `dotnet Mesh.Api.dll` reads.
        var path = Path.Combine(AppContext.BaseDirectory, "Mesh.Api.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!.AsObject();

        Assert.True(properties.ContainsKey("System.GC.Server"), $"{path} does not name the collector");
        Assert.False((bool)properties["System.GC.Server"]!);
        Assert.True((bool)properties["System.GC.Concurrent"]!);
    }
}
