using Mesh.Testing;

namespace Mesh.Deploy.Tests.Support;

/// <summary>
/// Runs shell text as it is written (a Dockerfile's <c>RUN</c>, a piece of <c>run.sh</c>) in a folder of its own, with
/// <c>dotnet</c> on the PATH replaced by a script that records its arguments and does nothing else, and optionally
/// <c>uname -m</c> answering another machine's name: what the text would ask the SDK to do, on that machine, without
/// doing it.
/// </summary>
public sealed class RecordingShell : IDisposable
{
    // One invocation per line, its arguments ended by the unit separator (an argument may be empty, never hold it).
    private const char Separator = '\u001f';

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("mesh-recording-shell-");
    private readonly string _path;

    public RecordingShell(string? machine = null)
    {
        var bin = _root.CreateSubdirectory("bin").FullName;
        WorkingDirectory = _root.CreateSubdirectory("work").FullName;
        Script(Path.Combine(bin, "dotnet"), $"printf '%s\\037' \"$@\" >>\"{RecordFile}\"\nprintf '\\n' >>\"{RecordFile}\"\n");
        if (machine is not null)
        {
            Script(Path.Combine(bin, "uname"), $"[ \"$1\" = -m ] && {{ echo {machine}; exit 0; }}\nexec /usr/bin/uname \"$@\"\n");
        }

        _path = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
    }

    /// <summary>Where the text runs: an empty folder of this shell's (a Dockerfile stage's WORKDIR).</summary>
    public string WorkingDirectory { get; }

    private string RecordFile => Path.Combine(_root.FullName, "dotnet-calls");

    /// <summary>Runs <paramref name="text"/> with <c>shell -c</c> (as BuildKit runs a RUN with /bin/sh -c).</summary>
    public Task<ProcessResult> RunAsync(string shell, string text, IReadOnlyDictionary<string, string>? variables = null)
    {
        var environment = ExternalProcess.EnvironmentWith(variables);
        environment["PATH"] = _path;
        return ExternalProcess.RunAsync(shell, ["-c", text], environment, workingDirectory: WorkingDirectory, timeout: TimeSpan.FromSeconds(60));
    }

    /// <summary>Every <c>dotnet</c> invocation so far, each as its arguments.</summary>
    public IReadOnlyList<string[]> DotnetCalls() => File.Exists(RecordFile)
        ? [.. File.ReadAllLines(RecordFile).Select(line => line.Split(Separator)[..^1])]
        : [];

    public void Dispose() => _root.Delete(recursive: true);

    private static void Script(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
