using System.Text.RegularExpressions;
using Mesh.Api.Commands;
using Mesh.Bootstrap;
using Microsoft.Extensions.Configuration;

namespace Mesh.Api.Tests.Bootstrap;

/// <summary>
/// <c>Mesh.Api bootstrap</c>: prints what the library builds, takes its default xDS address from configuration, and
/// regenerates the demo's committed bootstraps byte for byte (demo/bootstraps.sh holds the command lines).
/// </summary>
public sealed class BootstrapCommandTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    private static async Task<(int Code, string Output)> Run(IConfiguration configuration, params string[] args)
    {
        using var output = new StringWriter();
        var code = await BootstrapCommand.RunAsync(["bootstrap", .. args], configuration, output);
        return (code, output.ToString());
    }

    [Fact]
    public void Bootstrap_Is_Its_Own_Command_Not_An_Admin_One()
    {
        Assert.True(BootstrapCommand.Handles(["bootstrap", "--node", "x"]));
        Assert.False(AdminCommands.Handles(["bootstrap", "--node", "x"])); // it needs no database, so no admin host
    }

    [Fact]
    public async Task Command_PrintsTheBootstrap_WithTheConfiguredXdsAddress()
    {
        var (code, output) = await Run(Configuration(("Mesh:Bootstrap:Xds", "xds.internal:18443"), ("Mesh:Region", "eu-west-1")),
            "--node", "mesh/demo/virtualNode/web-v1", "--xds-tls", "--ca", "/ca.pem", "--sigv4");

        Assert.Equal(0, code);
        Assert.Equal(EnvoyBootstrap.ToYaml(new BootstrapOptions
        {
            NodeId = "mesh/demo/virtualNode/web-v1",
            Xds = new HostPort("xds.internal", 18443),
            Tls = new XdsTlsOptions { CaFile = "/ca.pem" },
            SigV4 = new SigV4Options { Region = "eu-west-1" },
        }), output);
    }

    [Fact]
    public async Task Command_Json()
    {
        var (code, output) = await Run(Configuration(), "--node", "mesh/demo/virtualNode/web-v1", "--format", "json");
        Assert.Equal(0, code);
        Assert.StartsWith("{", output, StringComparison.Ordinal);
        Assert.Contains("\"xds_cluster\"", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Command_Help_PrintsUsageAndSucceeds(string flag)
    {
        var (code, output) = await Run(Configuration(), flag);
        Assert.Equal(0, code);
        Assert.StartsWith("Mesh.Api bootstrap --node", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_Mistake_ExitsTwoWithUsage()
    {
        var (code, output) = await Run(Configuration(), "--node", "mesh/demo/virtualNode/web-v1", "--tracing", "xray", "--tracing-address", "x:1");
        Assert.Equal(2, code);
        Assert.Contains("not one of zipkin, jaeger, otel", output, StringComparison.Ordinal);
        Assert.Contains("Mesh.Api bootstrap --node", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoBootstraps_AreWhatTheCommandWritesToday()
    {
        var root = RepositoryRoot();
        var script = File.ReadAllLines(Path.Combine(root, "demo", "bootstraps.sh"));
        var compose = File.ReadAllText(Path.Combine(root, "docker-compose.yml"));
        var lines = script.Select(l => Regex.Match(l, @"^api bootstrap (?<args>.+) > (?<file>deploy/demo/envoy/[\w.-]+\.yaml)$")).Where(m => m.Success).ToList();

        Assert.Equal(3, lines.Count); // web-v1, web-v2, gateway
        foreach (var line in lines)
        {
            var file = line.Groups["file"].Value;
            var (code, output) = await Run(Configuration(), line.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(0, code);
            Assert.True(output == File.ReadAllText(Path.Combine(root, file)), $"{file} is stale; run demo/bootstraps.sh");
            Assert.Contains($"./{file}:/etc/envoy/bootstrap.yaml:ro", compose, StringComparison.Ordinal);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Mesh.sln not found above " + AppContext.BaseDirectory);
    }
}
