using System.Diagnostics;

namespace Mesh.Testing;

/// <summary>What an external client process did: its exit code and what it printed.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() =>
        $"{CommandLine}\nexit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// The one way tests run another program (the AWS CLI, node, python, kubectl, ip, PostgreSQL's tools) to completion,
/// with a chosen environment. A process that hangs is killed after the timeout and fails the test; the timeout is a
/// safety net, not an assertion. A program that is not installed fails with what to install, never skips.
/// </summary>
public static class ExternalProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            startInfo.Environment.Clear();
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        var commandLine = string.Join(' ', new[] { fileName }.Concat(startInfo.ArgumentList.Select(Quote)));
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run {fileName} ({e.Message}); .ci/run installs what the tests need.", e);
        }

        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"{commandLine} did not finish within {timeout ?? DefaultTimeout} and was killed.\n--- stdout ---\n{await stdout}\n--- stderr ---\n{await stderr}");
        }

        return new ProcessResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a program that must succeed and returns what it printed (stdout, then stderr); a non-zero exit throws with the output.</summary>
    public static async Task<string> RunCheckedAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(fileName, arguments, environment, standardInput, timeout: timeout, cancellationToken: cancellationToken);
        return result.ExitCode == 0
            ? result.Stdout + result.Stderr
            : throw new InvalidOperationException($"{result.CommandLine} exited with {result.ExitCode}:{System.Environment.NewLine}{result.Stdout}{result.Stderr}");
    }

    /// <summary>The current environment with <paramref name="overrides"/> set on top.</summary>
    public static Dictionary<string, string?> EnvironmentWith(IReadOnlyDictionary<string, string>? overrides)
    {
        var result = EnvironmentWithout();
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
        {
            result[name] = value;
        }

        return result;
    }

    /// <summary>The current environment without any variable whose name starts with one of the prefixes.</summary>
    public static Dictionary<string, string?> EnvironmentWithout(params string[] prefixes)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (!prefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                result[key] = (string?)entry.Value;
            }
        }

        return result;
    }

    /// <summary>Finds an executable by name in the directories of PATH, in order.</summary>
    public static IEnumerable<string> FindAllOnPath(string name)
    {
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                yield return candidate;
            }
        }
    }

    /// <summary>The pyenv shim of a program (PYENV_ROOT, else ~/.pyenv), whether or not it exists.</summary>
    public static string InPyenvShims(string name)
    {
        var root = System.Environment.GetEnvironmentVariable("PYENV_ROOT") is { Length: > 0 } configured
            ? configured
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".pyenv");
        return Path.Combine(root, "shims", name);
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@,".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
