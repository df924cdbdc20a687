using Mesh.Deploy.Tests.Support;
using Mesh.Testing;

namespace Mesh.Deploy.Tests.Docker;

/// <summary>
/// deploy/Dockerfile's xDS image is the publish <c>./run.sh</c> runs (ReadyToRun for the machine's runtime identifier,
/// framework-dependent), for linux/amd64 and linux/arm64. There is no Docker engine here, so the stages' own commands
/// are run, as BuildKit would run them for a target architecture (its <c>TARGETARCH</c>), with a <c>dotnet</c> that
/// records what it is asked to do; run.sh's publish is run the same way with <c>uname -m</c> answering a machine of
/// that architecture. docs/benchmarks.md (issue13aw) has the real publish of the stage, run by hand.
/// </summary>
public sealed class XdsImageTests
{
    private static readonly Dockerfile Docker = Dockerfile.Read(Repository.PathOf("deploy/Dockerfile"));
    private static readonly string[] RunSh = File.ReadAllLines(Repository.PathOf("run.sh"));

    private const string XdsProject = "src/XdsServer/Mesh.XdsServer.csproj";

    [Theory]
    [InlineData("amd64", "x86_64", "linux-x64")]
    [InlineData("arm64", "aarch64", "linux-arm64")]
    public async Task The_Xds_Image_Is_Published_As_RunSh_Publishes_It_On_A_Machine_Of_That_Architecture(string targetArch, string machine, string rid)
    {
        var runSh = await RunShPublishAsync(machine);
        var (calls, failed) = await RunStageAsync("publish-xds", targetArch);

        Assert.Null(failed);
        var restore = calls.Single(c => c[0] == "restore" && c[1] == XdsProject);
        // The property, not -r: `dotnet restore -r` sets RuntimeIdentifiers, under which the csproj leaves ReadyToRun
        // off, so crossgen2 is not restored and the --no-restore publish fails (found running the stage, issue13aw).
        Assert.Contains($"-p:RuntimeIdentifier={rid}", restore);
        Assert.DoesNotContain(restore, a => a is "-r" or "--runtime");
        var publish = calls.Single(c => c[0] == "publish");
        // From the restored layer: the restore above must have brought the identifier's runtime, apphost and crossgen2 packs.
        Assert.Contains("--no-restore", publish);
        Assert.Equal(rid, WhatIsCompiled(runSh)["runtime"]);
        Assert.Equal(WhatIsCompiled(runSh), WhatIsCompiled(publish));
    }

    [Theory]
    [InlineData("arm")] // linux/arm/v7, which the runtime image has
    [InlineData("386")]
    [InlineData("")] // a builder that sets no platform arguments
    public async Task Another_Architecture_Fails_The_Xds_Build_Naming_The_Supported_Ones(string targetArch)
    {
        var (calls, failed) = await RunStageAsync("publish-xds", targetArch);

        Assert.NotNull(failed);
        Assert.Contains("linux/amd64 and linux/arm64", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains($"TARGETARCH '{targetArch}'", failed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(calls, c => (c[0] == "restore" && c[1] == XdsProject) || c[0] == "publish");
    }

    [Fact]
    public void The_Xds_Build_Runs_On_The_Builders_Platform_And_Restores_For_The_Target_Before_Copying_Sources()
    {
        var chain = Docker.Chain("publish-xds");
        // crossgen2 runs natively on the builder and compiles for the target; never under emulation.
        Assert.Equal("$BUILDPLATFORM", chain[0].Platform);

        var instructions = chain.SelectMany(s => s.Instructions).ToList();
        var restore = instructions.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet restore {XdsProject} -p:RuntimeIdentifier=", StringComparison.Ordinal));
        var sources = instructions.FindIndex(i => i.Keyword == "COPY" && i.Arguments.StartsWith("src/ ", StringComparison.Ordinal));
        Assert.True(restore >= 0 && sources > restore, "the xDS server's restore for the target must come before the sources are copied, so a source edit reuses it");

        // The image itself is the target's: no stage it is made of takes the builder's platform.
        Assert.All(Docker.Chain("xds"), s => Assert.Null(s.Platform));
        Assert.Contains(Docker.Stage("xds").Instructions, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=publish-xds ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("api", "src/Api/Mesh.Api.csproj")]
    [InlineData("webhook", "src/Webhook/Mesh.Webhook.csproj")]
    [InlineData("migrate", "migrations/Mesh.Migrations.csproj")]
    public async Task The_Other_Hosts_Are_One_Portable_Build_Without_An_Apphost(string image, string project)
    {
        var amd64 = await PublishOfAsync($"publish-{image}", "amd64");
        var arm64 = await PublishOfAsync($"publish-{image}", "arm64");

        Assert.Equal(amd64, arm64);
        Assert.Equal(project, amd64[1]);
        // The API stays the plain build ./run.sh runs by default: no runtime, so no ReadyToRun code.
        Assert.DoesNotContain(amd64, a => a is "-r" or "--runtime" || a.StartsWith("--runtime=", StringComparison.Ordinal));
        // Built on the builder's platform, an apphost would be the builder's executable in the target's image.
        Assert.Contains("-p:UseAppHost=false", amd64);
        Assert.StartsWith("[\"dotnet\", ", Docker.Stage(image).Instructions.Single(i => i.Keyword == "ENTRYPOINT").Arguments, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the RUN instructions that call dotnet of every stage <paramref name="target"/> is built from, in order, as
    /// BuildKit runs them for <paramref name="targetArch"/> (a stage sees TARGETARCH only if it declares it), until one
    /// fails. The others (apt-get) are the SDK image's business and are never run here.
    /// </summary>
    private static async Task<(IReadOnlyList<string[]> Calls, ProcessResult? Failed)> RunStageAsync(string target, string targetArch)
    {
        using var shell = new RecordingShell();
        foreach (var stage in Docker.Chain(target))
        {
            var declared = new HashSet<string>(StringComparer.Ordinal);
            foreach (var instruction in stage.Instructions)
            {
                if (instruction.Keyword == "ARG")
                {
                    declared.Add(instruction.Arguments.Split('=')[0]);
                }
                else if (instruction.Keyword == "RUN" && instruction.Arguments.Contains("dotnet ", StringComparison.Ordinal))
                {
                    Assert.DoesNotMatch(@"\b(apt-get|rm)\b", instruction.Arguments); // nothing of this machine's is touched
                    var variables = declared.Contains("TARGETARCH") ? new Dictionary<string, string> { ["TARGETARCH"] = targetArch } : null;
                    var result = await shell.RunAsync("/bin/sh", instruction.Arguments, variables);
                    if (result.ExitCode != 0)
                    {
                        return (shell.DotnetCalls(), result);
                    }
                }
            }
        }

        return (shell.DotnetCalls(), null);
    }

    private static async Task<string[]> PublishOfAsync(string stage, string targetArch)
    {
        var (calls, failed) = await RunStageAsync(stage, targetArch);
        Assert.Null(failed);
        return calls.Single(c => c[0] == "publish");
    }

    /// <summary>run.sh's publish of the xDS server on a machine whose <c>uname -m</c> is <paramref name="machine"/>, with its defaults.</summary>
    private static async Task<string[]> RunShPublishAsync(string machine)
    {
        using var shell = new RecordingShell(machine);
        string[] script =
        [
            .. Lines("case $(uname -m) in", "esac"),
            "[ -n \"$XDS_RID\" ] || exit 3",
            "say() { :; }",
            "CONFIGURATION=Release XDS_PUBLISH_DIR=publish XDS_INSTRUCTION_SET=",
            .. Lines("publish_ready_to_run() {", "}"),
            $"publish_ready_to_run {XdsProject} 'the xDS server'",
        ];
        var result = await shell.RunAsync("bash", string.Join('\n', script));

        Assert.True(result.ExitCode == 0, result.ToString());
        return shell.DotnetCalls().Single();
    }

    /// <summary>run.sh's lines from the one that starts with <paramref name="first"/> to the next that is <paramref name="last"/>.</summary>
    private static IEnumerable<string> Lines(string first, string last)
    {
        var start = Array.FindIndex(RunSh, l => l.StartsWith(first, StringComparison.Ordinal));
        Assert.True(start >= 0, $"run.sh has no line starting with {first}");
        var end = Array.FindIndex(RunSh, start, l => l == last);
        return RunSh[start..(end + 1)];
    }

    /// <summary>
    /// What a <c>dotnet publish</c> compiles: its project, configuration, runtime, self-contained and the MSBuild
    /// properties given a value; where it writes, whether it restores and how it logs are left out.
    /// </summary>
    private static SortedDictionary<string, string> WhatIsCompiled(string[] call)
    {
        Assert.Equal("publish", call[0]);
        var compiled = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["project"] = call[1] };
        for (var i = 2; i < call.Length; i++)
        {
            switch (call[i])
            {
                case "-c" or "--configuration":
                    compiled["configuration"] = call[++i];
                    break;
                case "-r" or "--runtime":
                    compiled["runtime"] = call[++i];
                    break;
                case "--self-contained":
                    compiled["self-contained"] = call[++i];
                    break;
                case "-o" or "--output" or "-v" or "--verbosity":
                    i++;
                    break;
                case "--no-restore" or "-nologo":
                    break;
                case var clp when clp.StartsWith("-clp:", StringComparison.Ordinal):
                    break;
                case var property when property.StartsWith("-p:", StringComparison.Ordinal):
                    var (name, value) = (property[3..property.IndexOf('=', StringComparison.Ordinal)], property[(property.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                    if (value.Length > 0)
                    {
                        compiled[name] = value;
                    }

                    break;
                default:
                    Assert.Fail($"an argument these tests do not know: {call[i]} (in {string.Join(' ', call)})");
                    break;
            }
        }

        return compiled;
    }
}
