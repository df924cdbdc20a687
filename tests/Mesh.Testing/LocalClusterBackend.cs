using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Mesh.Testing;

/// <summary>
/// A throwaway cluster from the machine's own PostgreSQL binaries, in a temp directory that is
/// removed when the test process ends, however it ends. PostgreSQL refuses to run as root, so as
/// root every PostgreSQL command runs as <c>nobody</c>.
/// </summary>
internal sealed class LocalClusterBackend : IPostgresBackend
{
    private const string DirectoryPrefix = "mesh-test-pg-";
    private const string RunAsUser = "nobody";
    private const int StartAttempts = 5;

    private readonly string _binDirectory;
    private readonly string _root;
    private readonly Process? _watchdog;
    private int _port;
    private int _disposed;

    private readonly bool _durableCommits;

    private LocalClusterBackend(string binDirectory, string root, Process? watchdog, bool durableCommits)
    {
        _durableCommits = durableCommits;
        _binDirectory = binDirectory;
        _root = root;
        _watchdog = watchdog;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public PostgresSource Source => PostgresSource.LocalBinaries;

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = "postgres",
        Database = "postgres",
    }.ConnectionString;

    public bool CanRestart => true;

    private string DataDirectory => Path.Combine(_root, "data");

    private string LogFile => Path.Combine(_root, "postgres.log");

    private static bool IsRoot => System.Environment.IsPrivilegedProcess;

    /// <summary>The directory holding initdb and pg_ctl, or null when this machine has none.</summary>
    public static string? FindBinaries()
    {
        var configured = System.Environment.GetEnvironmentVariable("MESH_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
            .Where(candidate => File.Exists(Path.Combine(candidate.Dir, "initdb")) && File.Exists(Path.Combine(candidate.Dir, "pg_ctl")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Dir)
            .FirstOrDefault();
    }

    /// <param name="durableCommits">
    /// A commit is acknowledged only once its WAL is written (synchronous_commit=on), so a crashed server keeps
    /// every acknowledged transaction, as a production server does. Off for the shared server: tests run faster.
    /// </param>
    public static async Task<LocalClusterBackend> StartNewAsync(string binDirectory, bool durableCommits, CancellationToken cancellationToken)
    {
        RemoveAbandonedClusters();

        var tempRoot = IsRoot ? "/tmp" : Path.GetTempPath();
        var root = Path.Combine(tempRoot, $"{DirectoryPrefix}{System.Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(root);
        if (IsRoot && !OperatingSystem.IsWindows())
        {
            // nobody must create the data directory and the socket here; root removes it afterwards.
            File.SetUnixFileMode(root, (UnixFileMode)0b111_111_111);
        }

        var backend = new LocalClusterBackend(binDirectory, root, StartWatchdog(binDirectory, root), durableCommits);
        try
        {
            await backend.RunPostgresToolAsync(
                "initdb",
                ["-D", backend.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                cancellationToken);
            await backend.StartAsync(cancellationToken);
            return backend;
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (_port == 0 || attempt > 1)
            {
                _port = FreePort();
            }

            try
            {
                await PgCtlStartAsync(cancellationToken);
                return;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts && PortWasTaken())
            {
                // Another process took the port between our probe and the bind: pick another.
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
        => RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-m", "fast", "stop"], cancellationToken);

    public Task CrashAsync(CancellationToken cancellationToken)
        => RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-m", "immediate", "stop"], cancellationToken);

    public Task PauseAsync(CancellationToken cancellationToken)
    {
        SignalServer(Signals.Stop);
        return Task.CompletedTask;
    }

    public Task ResumeAsync(CancellationToken cancellationToken)
    {
        SignalServer(Signals.Continue);
        return Task.CompletedTask;
    }

    /// <summary>Signals the postmaster and every process it started (backends, checkpointer, WAL writer…).</summary>
    private void SignalServer(int signal)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var processes = new List<int> { postmaster };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
            {
                processes.Add(pid);
            }
        }

        // Stop the postmaster first so it starts nothing new; continue it last for the same reason.
        if (signal == Signals.Continue)
        {
            processes.Reverse();
        }

        foreach (var pid in processes)
        {
            Signals.Send(pid, signal);
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null; // The process ended while we looked.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-w", "-m", "immediate", "stop"], CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the directory still goes.
        }

        DeleteDirectory(_root);
        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill();
        }

        _watchdog?.Dispose();
    }

    public override string ToString() => $"local cluster on 127.0.0.1:{_port} in {_root}";

    private async Task PgCtlStartAsync(CancellationToken cancellationToken)
    {
        var options = string.Join(
            ' ',
            $"-p {_port.ToString(CultureInfo.InvariantCulture)}",
            $"-k {_root}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            // fsync stays off even for durable commits: the tests crash the server, never the machine, and WAL
            // handed to the kernel survives a killed server.
            _durableCommits ? "-c synchronous_commit=on" : "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=300");
        await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"], cancellationToken);
    }

    private bool PortWasTaken()
        => File.Exists(LogFile) && File.ReadAllText(LogFile).Contains("could not bind", StringComparison.OrdinalIgnoreCase);

    /// <summary>initdb and pg_ctl finish in seconds; on a machine shared by many builds they may take minutes, never this long.</summary>
    private static readonly TimeSpan PostgresToolLimit = TimeSpan.FromMinutes(10);

    private Task<string> RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDirectory, tool);
        return IsRoot
            ? ExternalProcess.RunCheckedAsync("runuser", ["-u", RunAsUser, "--", path, .. arguments], timeout: PostgresToolLimit, cancellationToken: cancellationToken)
            : ExternalProcess.RunCheckedAsync(path, arguments, timeout: PostgresToolLimit, cancellationToken: cancellationToken);
    }

    private void OnProcessExit(object? sender, EventArgs e) => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// A detached shell that outlives a crashed test process: once that process is gone it stops the
    /// cluster and removes its directory. A clean exit does the same itself and kills the watchdog.
    /// </summary>
    private static Process? StartWatchdog(string binDirectory, string root)
    {
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        var asUser = IsRoot ? $"runuser -u {RunAsUser} -- " : string.Empty;
        var script = $"""
            exec </dev/null >/dev/null 2>&1
            while kill -0 {System.Environment.ProcessId}; do sleep 1; done
            {asUser}'{pgCtl}' -D '{root}/data' -m immediate stop
            rm -rf '{root}'
            """;
        var startInfo = new ProcessStartInfo("setsid") { UseShellExecute = false };
        startInfo.ArgumentList.Add("sh");
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        try
        {
            return Process.Start(startInfo);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No setsid: the ProcessExit handler and the sweep on the next run still clean up.
            return null;
        }
    }

    /// <summary>Removes clusters left by test processes that died before their watchdog could run.</summary>
    private static void RemoveAbandonedClusters()
    {
        foreach (var tempRoot in new[] { "/tmp", Path.GetTempPath() }.Distinct())
        {
            if (!Directory.Exists(tempRoot))
            {
                continue;
            }

            foreach (var dir in Directory.GetDirectories(tempRoot, DirectoryPrefix + "*"))
            {
                var pidText = Path.GetFileName(dir)[DirectoryPrefix.Length..].Split('-')[0];
                if (!int.TryParse(pidText, CultureInfo.InvariantCulture, out var ownerPid) || Directory.Exists($"/proc/{ownerPid}"))
                {
                    continue;
                }

                KillPostmaster(Path.Combine(dir, "data", "postmaster.pid"));
                DeleteDirectory(dir);
            }
        }
    }

    private static void KillPostmaster(string pidFile)
    {
        try
        {
            if (!File.Exists(pidFile)
                || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid)
                || !File.Exists($"/proc/{pid}/comm")
                || !File.ReadAllText($"/proc/{pid}/comm").Trim().StartsWith("postgres", StringComparison.Ordinal))
            {
                return;
            }

            using var postmaster = Process.GetProcessById(pid);
            postmaster.Kill();
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Gone already, or someone else's: nothing to clean.
        }
    }

    private static void DeleteDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A later sweep retries.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
