using System.Text.Json.Nodes;

namespace Mesh.Api.Tests;

/// <summary>
/// The API's runtime settings are chosen in its project, so every way the API is started (./run.sh, the container
/// image, `dotnet Mesh.Api.dll`) runs what was measured (Mesh.Api.csproj says why for each).
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_Api_Runs_The_Workstation_Collector_In_The_Background_Mode()
    {
        var properties = ApiConfigProperties();

        Assert.True(properties.ContainsKey("System.GC.Server"), "the API's runtimeconfig.json does not name the collector");
        Assert.False((bool)properties["System.GC.Server"]!);
        Assert.True((bool)properties["System.GC.Concurrent"]!);
    }

    [Fact]
    public void The_Api_Thread_Pool_Idle_Workers_Block_Without_Spinning()
    {
        // Idle workers that spun were 43-50% of the API's CPU samples under writes (docs/benchmarks.md, issue14aw).
        const string SpinLimit = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
        var properties = ApiConfigProperties();

        Assert.True(properties.ContainsKey(SpinLimit), $"the API's runtimeconfig.json does not set {SpinLimit}");
        Assert.Equal(0, (int)properties[SpinLimit]!);
    }

    /// <summary>
    /// The referenced host's runtimeconfig.json, copied beside the tests: it is the file `dotnet Mesh.Api.dll` reads.
    /// </summary>
    private static JsonObject ApiConfigProperties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Mesh.Api.runtimeconfig.json");
        return JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!.AsObject();
    }
}
