using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// <c>./run.sh</c> as the README's quick start uses it, on ports of its own and with its state in a temporary folder:
/// the bootstrap the API hands out must point at the xDS server run.sh started, wherever that listens.
/// </summary>
public sealed class RunScriptTests
{
    private static readonly string Root = Metadata("RepositoryRoot");

    [Fact]
    public async Task Help_Prints_The_Usage_And_Starts_Nothing()
    {
        var start = Script("--help");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("Usage: ./run.sh [--help | --version]", output, StringComparison.Ordinal);
        Assert.Contains("MESH_XDS_GRPC_URL", output, StringComparison.Ordinal);
        Assert.DoesNotContain("building", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Bootstrap_Points_At_The_Xds_Server_It_Started_On_Another_Port()
    {
        var (pgPort, apiPort, grpcPort, adminPort) = (FreePort(), FreePort(), FreePort(), FreePort());
        var state = Directory.CreateTempSubdirectory("mesh-run-sh-");
        var start = Script();
        start.Environment["MESH_NO_BUILD"] = "1";
        start.Environment["MESH_CONFIGURATION"] = Metadata("Configuration");
        start.Environment["MESH_STATE_DIR"] = state.FullName;
        start.Environment["MESH_PG_PORT"] = pgPort.ToString();
        start.Environment["MESH_API_URL"] = $"http://127.0.0.1:{apiPort}";
        start.Environment["MESH_XDS_GRPC_URL"] = $"http://127.0.0.1:{grpcPort}";
        start.Environment["MESH_XDS_ADMIN_URL"] = $"http://127.0.0.1:{adminPort}";
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var banner = await ReadUntilRunningAsync(process, errors);
            Assert.Contains($"http://127.0.0.1:{apiPort}/docs", banner, StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
            var bootstrap = JsonNode.Parse(await http.GetStringAsync("/envoy/bootstrap?node=mesh/demo/virtualNode/web&format=json"))!;
            var xds = bootstrap["static_resources"]!["clusters"]!.AsArray().Single(c => (string?)c!["name"] == "xds_cluster")!;
            var address = xds["load_assignment"]!["endpoints"]![0]!["lb_endpoints"]![0]!["endpoint"]!["address"]!["socket_address"]!;
            Assert.Equal("127.0.0.1", (string?)address["address"]);
            Assert.Equal(grpcPort, (int)address["port_value"]!);

            // And something answers there: the xDS server run.sh started (its readiness was awaited before the banner).
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, grpcPort);
        }
        finally
        {
            await StopAsync(process);
            state.Delete(recursive: true);
        }
    }

    private static async Task<string> ReadUntilRunningAsync(Process process, Task<string> errors)
    {
        // Generous: a first initdb, the migrations and two hosts starting on a busy two-core machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var seen = new System.Text.StringBuilder();
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                await process.WaitForExitAsync(timeout.Token);
                throw new InvalidOperationException($"run.sh exited ({process.ExitCode}) before the stack ran:\n{seen}\n{await errors}");
            }

            seen.AppendLine(line);
            if (line.Contains("Ctrl-C stops everything.", StringComparison.Ordinal))
            {
                return seen.ToString();
            }
        }
    }

    /// <summary>As Ctrl-C would: run.sh's trap stops both hosts and PostgreSQL.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static ProcessStartInfo Script(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
        start.ArgumentList.Add(Path.Combine(Root, "run.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Only what the test sets: a developer's own MESH_* or host settings must not leak in.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("MESH_", StringComparison.Ordinal) || k.StartsWith("Mesh__", StringComparison.Ordinal)
            || k.StartsWith("Xds__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Metadata(string key) => typeof(RunScriptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
