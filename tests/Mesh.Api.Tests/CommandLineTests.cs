using System.Diagnostics;

namespace Mesh.Api.Tests;

/// <summary>The API binary as an operator first meets it: help, and a plain message when it is not configured.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Without_A_Connection_String_It_Says_What_To_Set_And_Exits_2()
    {
        var (code, output, error) = await RunAsync();

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("ConnectionStrings:Mesh is not configured", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys", "--help")]
    [InlineData("audit", "list", "-h")]
    public async Task Operator_Command_Help_Needs_No_Configuration(params string[] args)
    {
        var (code, output, _) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Contains("Mesh.Api keys create --account", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Whatever the machine has set, this process has no database configured.
        start.Environment.Remove("ConnectionStrings__Mesh");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
