using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// The API host as a user runs it: its own process on a loopback port, SigV4 on, with an admin key made
/// by its own <c>keys create</c> command into an AWS shared-credentials file for the AWS CLI.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private static readonly string AssemblyPath = typeof(ApiProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ApiAssembly").Value!;

    private readonly Process process;

    private ApiProcess(Process process, Uri endpoint, string credentialsFile)
    {
        this.process = process;
        Endpoint = endpoint;
        CredentialsFile = credentialsFile;
    }

    public Uri Endpoint { get; }

    public string CredentialsFile { get; }

    /// <summary>
    /// How long the API process may take to become ready: a process's start (the runtime, the JIT, the database
    /// check) took longer than a stream step's 15 s on a loaded machine. Only a failing start waits this long.
    /// </summary>
    private static readonly TimeSpan StartTime = TimeSpan.FromSeconds(90);

    public static async Task<ApiProcess> StartAsync(string connectionString)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = connectionString,
            ["Mesh__Auth__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var credentials = Path.Combine(Path.GetTempPath(), $"mesh-e2e-{Guid.NewGuid():N}", "credentials");
        var keys = Start(environment, "keys", "create", "--account", "111122223333", "--admin", "--credentials-file", credentials);
        using (var timeout = new CancellationTokenSource(StartTime))
        {
            await keys.WaitForExitAsync(timeout.Token);
        }

        Assert.True(keys.ExitCode == 0, await keys.StandardOutput.ReadToEndAsync() + await keys.StandardError.ReadToEndAsync());

        var endpoint = new Uri($"http://127.0.0.1:{FreePort()}");
        var api = Start(environment, "--urls", endpoint.ToString());

        // Keep reading its output so that a chatty host never blocks on a full pipe.
        api.BeginOutputReadLine();
        api.BeginErrorReadLine();
        var started = new ApiProcess(api, endpoint, credentials);
        using var client = new HttpClient();
        try
        {
            await Support.Eventually.TrueAsync(async () =>
            {
                Assert.False(api.HasExited, "the API process exited during start");
                try
                {
                    return (await client.GetAsync(new Uri(endpoint, "/readyz"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, StartTime);
        }
        catch
        {
            // A start that never became ready is the test's failure; the process must not outlive it (a loaded run
            // left such API processes running after the suite).
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Directory.Delete(Path.GetDirectoryName(CredentialsFile)!, recursive: true);
    }

    private static Process Start(Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
