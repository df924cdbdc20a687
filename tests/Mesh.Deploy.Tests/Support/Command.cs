using Mesh.Testing;

namespace Mesh.Deploy.Tests.Support;

/// <summary>The outcome of one finished process: exit code and combined output.</summary>
public sealed record CommandResult(int ExitCode, string Output);

/// <summary>The deployment tests' shorthand over <see cref="ExternalProcess"/>: the current environment plus a few variables, output combined.</summary>
public static class Command
{
    /// <summary>Generous: these commands finish in milliseconds; the limit only turns a hang into a failure.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null)
    {
        var result = await ExternalProcess.RunAsync(fileName, arguments, ExternalProcess.EnvironmentWith(environment), standardInput, timeout: Limit);
        return new CommandResult(result.ExitCode, result.Stdout + result.Stderr);
    }

    /// <summary>Runs a command that must succeed; a non-zero exit fails the test with the command's output.</summary>
    public static Task<string> RunCheckedAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null) =>
        ExternalProcess.RunCheckedAsync(fileName, arguments, ExternalProcess.EnvironmentWith(environment), standardInput, timeout: Limit);
}
