using System.Text.Json;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>The server as an operator runs it: JSON logs on request, and a plain refusal of settings that cannot work.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task The_Process_Logs_One_Json_Object_Per_Line_When_Asked()
    {
        using var process = XdsProcess.Start(new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            // A database that never answers: the server starts and serves without it, its feed retrying.
            ["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=none;Username=none",
            ["Xds__GrpcUrl"] = "http://127.0.0.1:0",
            ["Xds__AdminUrl"] = "http://127.0.0.1:0",
            ["Xds__Auth__Mode"] = "None",
        });
        try
        {
            // The host logs its listening addresses once it has started; read up to that line.
            var timeout = TaskTimeouts.Token();
            JsonElement listening;
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout)
                    ?? throw new InvalidOperationException("the server exited: " + await process.StandardError.ReadToEndAsync(timeout));
                using var entry = JsonDocument.Parse(line); // every line must be JSON, or this throws
                if (entry.RootElement.GetProperty("Message").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal))
                {
                    listening = entry.RootElement.Clone();
                    break;
                }
            }

            Assert.Equal("Information", listening.GetProperty("LogLevel").GetString());
            Assert.Equal("Microsoft.Hosting.Lifetime", listening.GetProperty("Category").GetString());
            Assert.StartsWith("http://127.0.0.1:", listening.GetProperty("State").GetProperty("address").GetString());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_Server_Without_Its_Database_Is_Refused_With_One_Line_Before_Anything_Else()
    {
        // Without ConnectionStrings:Mesh the server would serve no mesh yet answer /readyz 200: refused at once, even
        // with proxy authentication off (which needs no key store).
        using var process = XdsProcess.Start(new Dictionary<string, string>
        {
            ["Xds__GrpcUrl"] = "http://127.0.0.1:0",
            ["Xds__AdminUrl"] = "http://127.0.0.1:0",
            ["Xds__Auth__Mode"] = "None",
        });
        var (output, error) = await RunToExitAsync(process);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("Mesh.XdsServer: ConnectionStrings:Mesh is not configured. Set the ConnectionStrings__Mesh environment variable "
            + "(e.g. \"Host=127.0.0.1;Port=5432;Database=mesh;Username=postgres\") to the API's database, or start the local stack with ./run.sh.",
            error.TrimEnd());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Settings_That_Cannot_Work_Are_Refused_With_A_Message_Not_A_Stack_Trace()
    {
        // SigV4 is the default, and without the master key there are no keys to check signatures with. The database
        // named is never reached: the refusal comes first.
        using var process = XdsProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=none;Username=none",
            ["Xds__GrpcUrl"] = "http://127.0.0.1:0",
            ["Xds__AdminUrl"] = "http://127.0.0.1:0",
        });
        var (_, error) = await RunToExitAsync(process);

        Assert.Equal(2, process.ExitCode);
        Assert.StartsWith("Mesh.XdsServer: Xds:Auth:Mode is SigV4 (the default) but there are no access keys", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help", "Usage:")]
    [InlineData("-h", "Usage:")]
    [InlineData("help", "Usage:")]
    [InlineData("--version", "Mesh.XdsServer 1.0.0")]
    [InlineData("proxy-status --help", "Mesh.XdsServer proxy-status [options]")]
    [InlineData("proxy-status --version", "Mesh.XdsServer 1.0.0")]
    public async Task Help_And_Version_Answer_And_Exit_0_Without_Serving(string args, string expected)
    {
        // A server that started anyway would never exit, and the timeout would fail the test.
        using var process = XdsProcess.Start(new Dictionary<string, string>(), args.Split(' '));
        var (output, error) = await RunToExitAsync(process);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", error);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    /// <summary>Reads the process's output until it exits; one that is still running when the wait ends (a server that started serving instead) is killed, not left behind.</summary>
    private static async Task<(string Output, string Error)> RunToExitAsync(System.Diagnostics.Process process)
    {
        try
        {
            var timeout = TaskTimeouts.Token();
            var output = process.StandardOutput.ReadToEndAsync(timeout);
            var error = await process.StandardError.ReadToEndAsync(timeout);
            await process.WaitForExitAsync(timeout);
            return (await output, error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
