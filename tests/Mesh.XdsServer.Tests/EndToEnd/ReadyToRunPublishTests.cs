using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// How the xDS server's project publishes, read from MSBuild's evaluation of it (what <c>./run.sh</c> and
/// <c>deploy/Dockerfile</c> ask for): code for this machine's instruction set goes with tiering off, and only then;
/// a portable publish keeps tiering (its untiered code made steady changes dearer), and the plain build the tests
/// run stays a JIT build. The API's project, which <c>./run.sh</c> publishes the same way, too.
/// </summary>
public sealed class ReadyToRunPublishTests
{
    private static readonly string Project = Path.Combine(Metadata("RepositoryRoot"), "src", "XdsServer", "Mesh.XdsServer.csproj");
    private static readonly string ApiProject = Path.Combine(Metadata("RepositoryRoot"), "src", "Api", "Mesh.Api.csproj");

    [Fact]
    public async Task A_Publish_For_An_Instruction_Set_Compiles_For_It_With_Cross_Module_Inlining_And_Turns_Tiering_Off()
    {
        var properties = await EvaluateAsync("-p:RuntimeIdentifier=linux-x64", "-p:MeshReadyToRunInstructionSet=x86-64-v3");

        Assert.Equal("true", properties["PublishReadyToRun"]);
        Assert.Equal(new[] { "--instruction-set:x86-64-v3", "--opt-cross-module:*" }, properties["PublishReadyToRunCrossgen2ExtraArgs"].Split(';'));
        Assert.Equal("false", properties["TieredCompilation"]);
    }

    [Fact]
    public async Task A_Publish_Without_An_Instruction_Set_Is_Portable_And_Keeps_Tiering()
    {
        var properties = await EvaluateAsync("-p:RuntimeIdentifier=linux-x64");

        Assert.Equal("true", properties["PublishReadyToRun"]);
        Assert.Equal("", properties["PublishReadyToRunCrossgen2ExtraArgs"]);
        Assert.NotEqual("false", properties["TieredCompilation"]);
    }

    [Fact]
    public async Task The_Plain_Build_Has_No_Precompiled_Code_And_Keeps_Tiering_Even_With_An_Instruction_Set()
    {
        // A build or publish without a runtime identifier (the tests' plain build): the instruction set alone must not turn tiering off.
        var properties = await EvaluateAsync("-p:MeshReadyToRunInstructionSet=x86-64-v3");

        Assert.NotEqual("true", properties["PublishReadyToRun"]);
        Assert.Equal("", properties["PublishReadyToRunCrossgen2ExtraArgs"]);
        Assert.NotEqual("false", properties["TieredCompilation"]);
    }

    [Fact]
    public async Task A_ReadyToRun_Publish_Recompiles_A_Method_At_Tier_One_After_A_Thousand_Calls()
    {
        // The runtime's 30 calls made the JIT recompile thousands of precompiled methods in a 10,000-proxy connect
        // that run too rarely (the feed's queries, the scrapes) to repay it (docs/benchmarks.md, issue13aq).
        var options = await RuntimeOptionsAsync(Project, "-p:RuntimeIdentifier=linux-x64");

        Assert.Equal("1000", options.GetValueOrDefault(CallCountThreshold));
    }

    [Fact]
    public async Task The_Plain_Build_Keeps_The_Runtimes_Call_Count_Threshold()
    {
        // Its first code is the JIT's unoptimised tier 0, which a higher threshold would keep running for longer.
        var options = await RuntimeOptionsAsync(Project);

        Assert.False(options.ContainsKey(CallCountThreshold), $"the plain build sets {CallCountThreshold}={options.GetValueOrDefault(CallCountThreshold)}");
    }

    [Fact]
    public async Task The_Api_Publishes_Portable_ReadyToRun_Code_For_A_Runtime_And_Keeps_Tiering()
    {
        var properties = await EvaluateProjectAsync(ApiProject, "-p:RuntimeIdentifier=linux-x64");

        Assert.Equal("true", properties["PublishReadyToRun"]);
        Assert.Equal("", properties["PublishReadyToRunCrossgen2ExtraArgs"]);
        Assert.NotEqual("false", properties["TieredCompilation"]);
    }

    [Fact]
    public async Task The_Apis_Plain_Build_Has_No_Precompiled_Code()
    {
        var properties = await EvaluateProjectAsync(ApiProject);

        Assert.NotEqual("true", properties["PublishReadyToRun"]);
        Assert.NotEqual("false", properties["TieredCompilation"]);
    }

    private static Task<Dictionary<string, string>> EvaluateAsync(params string[] arguments) => EvaluateProjectAsync(Project, arguments);

    private static async Task<Dictionary<string, string>> EvaluateProjectAsync(string project, params string[] arguments)
    {
        string[] names = ["PublishReadyToRun", "PublishReadyToRunCrossgen2ExtraArgs", "TieredCompilation"];
        var output = await MSBuildAsync(project, [.. names.Select(n => $"-getProperty:{n}"), .. arguments]);
        var read = JsonNode.Parse(output)!["Properties"]!;
        return names.ToDictionary(n => n, n => (string?)read[n] ?? "");
    }

    /// <summary>MSBuild's evaluation of <paramref name="project"/> (no build), as the JSON <c>-getProperty</c>/<c>-getItem</c> print.</summary>
    private static async Task<string> MSBuildAsync(string project, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["msbuild", project, "-nologo", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet msbuild exited {process.ExitCode}:\n{output}\n{await errors}");
        return output;
    }

    private const string CallCountThreshold = "System.Runtime.TieredCompilation.CallCountThreshold";

    /// <summary>The project's runtime options (what the SDK writes into the runtimeconfig.json), by name.</summary>
    private static async Task<Dictionary<string, string>> RuntimeOptionsAsync(string project, params string[] arguments)
    {
        var output = await MSBuildAsync(project, ["-getItem:RuntimeHostConfigurationOption", .. arguments]);
        var items = JsonNode.Parse(output)!["Items"]!["RuntimeHostConfigurationOption"]!.AsArray();
        return items.ToDictionary(i => (string)i!["Identity"]!, i => (string?)i!["Value"] ?? "");
    }

    private static string Metadata(string key) => typeof(ReadyToRunPublishTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
