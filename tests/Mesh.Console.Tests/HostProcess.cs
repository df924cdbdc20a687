using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mesh.Console.Tests;

/// <summary>A host binary (Mesh.Api or Mesh.XdsServer) in a process of its own, with only the environment the test gives it.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private HostProcess(Process process) => this.process = process;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public static HostProcess Start(string assembly, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var host = new HostProcess(Process.Start(StartInfo(assembly, environment, args))!);
        host.process.OutputDataReceived += (_, e) => host.Append(e.Data);
        host.process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        host.process.BeginOutputReadLine();
        host.process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Runs a command of the host (e.g. <c>keys create</c>) to its end and returns its output.</summary>
    public static async Task<string> RunAsync(string assembly, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var command = Process.Start(StartInfo(assembly, environment, args))!;
        var stdout = command.StandardOutput.ReadToEndAsync();
        var stderr = command.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await command.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        Assert.True(command.ExitCode == 0, $"{string.Join(' ', args)} failed: {text}");
        return text;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task WaitUntilAnswersAsync(Uri url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            Assert.False(process.HasExited, $"the host exited during start:\n{Output}");
            try
            {
                if ((await client.GetAsync(url)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not answer within 90 s:\n{Output}");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static ProcessStartInfo StartInfo(string assembly, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Whatever the machine has set, the process gets only what the test says.
        foreach (var inherited in start.Environment.Keys
                     .Where(k => k.StartsWith("Xds__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.StartsWith("Mesh__", StringComparison.Ordinal))
                     .ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }
}
