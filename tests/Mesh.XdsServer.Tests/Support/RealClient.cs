using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Mesh.Bootstrap;
using Mesh.Model.Identity;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A real proxyless xDS client in its own process (python3-grpcio's C-core, or @grpc/grpc-js-xds), bootstrapped
/// against a test host and driven line by line: <c>call N</c> answers with how many calls reached each backend.
/// Or an xDS-enabled gRPC server of either (<see cref="StartServerAsync"/>).
/// </summary>
public sealed class RealClient : IAsyncDisposable
{
    private static readonly SemaphoreSlim NpmLock = new(1, 1);
    private readonly Process _process;
    private readonly string? _bootstrap;

    private RealClient(Process process, string? bootstrap)
    {
        _process = process;
        _bootstrap = bootstrap;
    }

    public static string Directory { get; } = typeof(RealClient).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RealClientsDirectory").Value!;

    public static Task<RealClient> StartPythonAsync(Uri xds, string nodeId, string target, IReadOnlyList<GrpcCertificateProvider>? certificateProviders = null) =>
        StartAsync("/usr/bin/python3", Path.Combine(Directory, "xds_client.py"), xds, nodeId, certificateProviders, target);

    /// <summary>
    /// A client of <paramref name="kind"/> whose bootstrap is the JSON in <c>GRPC_XDS_BOOTSTRAP_CONFIG</c> (no file), as
    /// the Kubernetes webhook injects it into proxyless pods.
    /// </summary>
    public static async Task<RealClient> StartWithBootstrapInEnvironmentAsync(string kind, Uri xds, string nodeId, string target)
    {
        if (kind == "python")
        {
            return await StartAsync("/usr/bin/python3", Path.Combine(Directory, "xds_client.py"), xds, nodeId, null, bootstrapInEnvironment: true, target);
        }

        await EnsureNodeModulesAsync();
        return await StartAsync("node", Path.Combine(Directory, "xds_client.js"), xds, nodeId, null, bootstrapInEnvironment: true, target);
    }

    public static async Task<RealClient> StartNodeAsync(Uri xds, string nodeId, string target, IReadOnlyList<GrpcCertificateProvider>? certificateProviders = null)
    {
        await EnsureNodeModulesAsync();
        return await StartAsync("node", Path.Combine(Directory, "xds_client.js"), xds, nodeId, certificateProviders, target);
    }

    /// <summary>
    /// An xDS-enabled gRPC server (gRFC A36) of <paramref name="kind"/> ("python" or "node") bound to
    /// <paramref name="address"/> with <paramref name="nodeId"/>, answering calls with <paramref name="name"/>.
    /// </summary>
    public static async Task<RealClient> StartServerAsync(string kind, Uri xds, string nodeId, string address, string name, IReadOnlyList<GrpcCertificateProvider>? certificateProviders = null)
    {
        if (kind == "python")
        {
            return await StartAsync("/usr/bin/python3", Path.Combine(Directory, "xds_server.py"), xds, nodeId, certificateProviders, address, name);
        }

        await EnsureNodeModulesAsync();
        return await StartAsync("node", Path.Combine(Directory, "xds_server.js"), xds, nodeId, certificateProviders, address, name);
    }

    /// <summary>The next line the process printed.</summary>
    public Task<string> NextLineAsync() => ReadLineAsync();

    /// <summary>
    /// Makes <paramref name="count"/> calls, each carrying <paramref name="metadata"/> (<c>key=value</c> entries), and
    /// returns how many each backend (or error) answered.
    /// </summary>
    public async Task<Dictionary<string, int>> CallAsync(int count, params string[] metadata)
    {
        await _process.StandardInput.WriteLineAsync(string.Join(' ', ["call", count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. metadata])).DefaultTimeout();
        await _process.StandardInput.FlushAsync().DefaultTimeout();
        var line = await ReadLineAsync();
        return JsonSerializer.Deserialize<Dictionary<string, int>>(line)!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                await _process.WaitForExitAsync(TaskTimeouts.Token());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
            if (_bootstrap is not null)
            {
                File.Delete(_bootstrap);
            }
        }
    }

    private static Task<RealClient> StartAsync(string program, string script, Uri xds, string nodeId, IReadOnlyList<GrpcCertificateProvider>? certificateProviders, params string[] arguments) =>
        StartAsync(program, script, xds, nodeId, certificateProviders, bootstrapInEnvironment: false, arguments);

    private static async Task<RealClient> StartAsync(string program, string script, Uri xds, string nodeId, IReadOnlyList<GrpcCertificateProvider>? certificateProviders, bool bootstrapInEnvironment, params string[] arguments)
    {
        // The bootstrap users get from `GET /envoy/bootstrap?grpc` (README, "Proxyless gRPC"): node.locality, which
        // grpc-js needs, insecure channel_creds, the listener name template servers need (gRFC A36), and the certificate
        // providers the node's TLS files need (gRFC A29).
        // In the environment, the bootstrap is exactly the webhook's (no cluster of its own); from a file, the tests'.
        var json = GrpcBootstrap.ToJson(new BootstrapOptions { NodeId = nodeId, Cluster = bootstrapInEnvironment ? null : "test", Xds = new HostPort(xds.Host, xds.Port) }, certificateProviders);
        string? bootstrap = null;
        if (!bootstrapInEnvironment)
        {
            bootstrap = Path.GetTempFileName();
            await File.WriteAllTextAsync(bootstrap, json);
        }

        var start = new ProcessStartInfo(program)
        {
            ArgumentList = { script },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
            Environment =
            {
                [bootstrap is null ? "GRPC_XDS_BOOTSTRAP_CONFIG" : "GRPC_XDS_BOOTSTRAP"] = bootstrap ?? json,
                // A Python client between calls reads its xDS stream only when C-core's backup poller runs (every 5 s by
                // default): a test waiting on the server's view of it would wait on that, not on the server.
                ["GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS"] = "100",
            },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the one given here: an inherited GRPC_XDS_BOOTSTRAP would win over GRPC_XDS_BOOTSTRAP_CONFIG.
        start.Environment.Remove(bootstrap is null ? "GRPC_XDS_BOOTSTRAP" : "GRPC_XDS_BOOTSTRAP_CONFIG");

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        process.ErrorDataReceived += (_, _) => { }; // keep stderr drained; gRPC logs there
        process.BeginErrorReadLine();
        var client = new RealClient(process, bootstrap);
        var ready = await client.ReadLineAsync();
        Assert.Equal("ready", ready);
        return client;
    }

    private async Task<string> ReadLineAsync() =>
        await _process.StandardOutput.ReadLineAsync(TaskTimeouts.Token()).AsTask().DefaultTimeout()
        ?? throw new InvalidOperationException($"the client exited with code {(_process.HasExited ? _process.ExitCode : -1)}");

    private static async Task EnsureNodeModulesAsync()
    {
        await NpmLock.WaitAsync(TaskTimeouts.Token());
        try
        {
            if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js-xds")))
            {
                return;
            }

            // .ci/run installs these; a developer's first run installs them here, as npm would.
            using var npm = Process.Start(new ProcessStartInfo("npm", "install --no-package-lock --no-audit --no-fund --loglevel=error") { WorkingDirectory = Directory })!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await npm.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, npm.ExitCode);
        }
        finally
        {
            NpmLock.Release();
        }
    }
}
