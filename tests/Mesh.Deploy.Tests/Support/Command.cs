using System.Diagnostics;

namespace Mesh.Deploy.Tests.Support;

/// <summary>The outcome of one finished process: exit code and combined output.</summary>
public sealed record CommandResult(int ExitCode, string Output);

public static class Command
{
    /// <summary>Generous: these commands finish in milliseconds; the limit only turns a hang into a failure.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // A missing tool fails the test with what to install, never skips it.
            throw new InvalidOperationException($"Could not run {fileName} ({e.Message}); .ci/run installs what the tests need.", e);
        }

        using var _ = process;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {Limit}.");
        }

        return new CommandResult(process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Runs a command that must succeed; a non-zero exit fails the test with the command's output.</summary>
    public static async Task<string> RunCheckedAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null)
    {
        var result = await RunAsync(fileName, arguments, environment, standardInput);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {result.ExitCode}:{Environment.NewLine}{result.Output}");
        }

        return result.Output;
    }
}
