using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Mesh.Fleet;

/// <summary>
/// A server the fleet runs in a process of its own (the xDS server or the raw one), and what Linux says about
/// it: resident memory from /proc/&lt;pid&gt;/status, CPU time from /proc/&lt;pid&gt;/stat.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string log)
    {
        _process = process;
        Log = log;
    }

    public int Pid => _process.Id;

    /// <summary>When the process was started (a <see cref="Stopwatch"/> timestamp).</summary>
    public long Started { get; } = Stopwatch.GetTimestamp();

    public string Log { get; }

    /// <summary>When the process was started, by the wall clock (its log's timestamps, when it writes them, are UTC).</summary>
    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    /// <summary>The wait for its readiness, once the fleet waited (its probes, and how many went unanswered).</summary>
    public ReadinessWait? Readiness { get; set; }

    public bool Exited => _process.HasExited;

    public static ServerProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment, string log)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, log);
    }

    /// <summary>Resident set size in bytes (VmRSS).</summary>
    public long Rss
    {
        get
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }

            return 0;
        }
    }

    /// <summary>User plus system CPU time (fields 14 and 15 of /proc/&lt;pid&gt;/stat, in clock ticks of 1/100 s).</summary>
    public TimeSpan Cpu
    {
        get
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
    }

    /// <summary>
    /// SIGTERM and wait, as a deployment stops a replica: how long the server took to exit, and whether it had to be
    /// killed after 30 s (its streams then end with a reset, not the UNAVAILABLE a stopping server sends). Returns at
    /// the exit; the log is complete only after <see cref="OutputEndedAsync"/>.
    /// <para>
    /// The signal and the wait run on a thread of their own: at that moment the fleet's thread pool is busy with every
    /// proxy's stream ending, and spawning kill(1) and awaiting <see cref="Process.WaitForExitAsync(CancellationToken)"/>
    /// on it timed the fleet's own queue as well: 2.3 s of a 9.2 s stop at 10,000 proxies, which also held back the
    /// restarted server's start (docs/benchmarks.md, issue13bu). Reading the output to its end, also on the pool, held
    /// the restart back another second (issue13bv), so it is a step of its own that the storm takes once the new
    /// server runs.
    /// </para>
    /// </summary>
    public async Task<(TimeSpan Took, bool Killed)> StopAsync()
    {
        if (_process.HasExited)
        {
            return (TimeSpan.Zero, false);
        }

        var (exited, took) = await Task.Factory.StartNew(() =>
        {
            var started = Stopwatch.GetTimestamp();
            if (SendSignal(Pid, SigTerm) != 0)
            {
                throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }

            var exited = _process.WaitForExit(30_000);
            return (exited, Stopwatch.GetElapsedTime(started));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        if (!exited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        return (took, !exited);
    }

    /// <summary>
    /// Waits, up to 30 s, for the exited server's output to be read to its end, so its last lines (the stop's phases)
    /// are in <see cref="Log"/>.
    /// </summary>
    public async Task OutputEndedAsync()
    {
        using var outputRead = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(outputRead.Token);
        }
        catch (OperationCanceledException)
        {
            // The output's end not seen in 30 s: the log may lack its last lines, which the report then says.
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}

/// <summary>The xDS server's admin port: readiness, and figures from /metrics.</summary>
internal sealed class XdsAdmin(Uri admin)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The text of an admin endpoint.</summary>
    public Task<string> GetStringAsync(string path) => Http.GetStringAsync(new Uri(admin, path));

    /// <summary>
    /// Waits for <c>/readyz</c> to answer 200 (<see cref="ReadinessWait"/>: a probe unanswered in its time is "not ready
    /// yet", and only <paramref name="timeout"/> or the server's exit ends the wait); the wait's probes are kept on the
    /// process for the report.
    /// </summary>
    public async Task WaitReadyAsync(ServerProcess process, TimeSpan timeout)
    {
        var wait = new ReadinessWait(
            async cancellationToken =>
            {
                using var response = await Http.GetAsync(new Uri(admin, "/readyz"), cancellationToken);
                return response.IsSuccessStatusCode;
            },
            () => process.Exited,
            TimeProvider.System);
        process.Readiness = wait;
        await wait.WaitAsync(timeout, process.Log);
    }

    /// <summary>
    /// The managed heap as of the last collection: the sum over generations of the runtime's
    /// <c>dotnet_gc_last_collection_heap_size_bytes</c> (the System.Runtime meter), or the older instrumentation's
    /// <c>dotnet_gc_heap_size_bytes</c>.
    /// </summary>
    public async Task<double?> HeapAsync()
    {
        var text = await Http.GetStringAsync(new Uri(admin, "/metrics"));
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                sum = (sum ?? 0) + double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum ?? await MetricAsync("dotnet_gc_heap_size_bytes");
    }

    /// <summary>
    /// The managed heap as of the last collection less its fragmentation (the free space between objects that
    /// collection left), from one scrape: the runtime's <c>dotnet_gc_last_collection_heap_size_bytes</c> minus
    /// <c>dotnet_gc_last_collection_heap_fragmentation_size_bytes</c>, summed over generations. Null without them.
    /// </summary>
    public async Task<double?> LiveHeapAsync()
    {
        var text = await Http.GetStringAsync(new Uri(admin, "/metrics"));
        double? size = null;
        var free = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                size = (size ?? 0) + double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("dotnet_gc_last_collection_heap_fragmentation_size_bytes{", StringComparison.Ordinal))
            {
                free += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return size - free;
    }

    /// <summary>The sum of a metric's series whose labels contain <paramref name="label"/> (e.g. <c>type="rds"</c>); 0 when none.</summary>
    public async Task<double> SumAsync(string name, string label)
    {
        var text = await Http.GetStringAsync(new Uri(admin, "/metrics"));
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && line[..line.IndexOf('}', StringComparison.Ordinal)].Contains(label, StringComparison.Ordinal))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>This server's proxy status (JSON): every stream's node id and per-type sync; null when it does not answer.</summary>
    public async Task<string?> ProxyStatusAsync()
    {
        try
        {
            return await Http.GetStringAsync(new Uri(admin, "/proxy-status?local=true"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The server's open xDS streams, from <c>/healthz</c> (its report's <c>streams</c>): read without a collection of the metrics.</summary>
    public async Task<int> OpenStreamsAsync()
    {
        using var report = System.Text.Json.JsonDocument.Parse(await Http.GetStringAsync(new Uri(admin, "/healthz")));
        return report.RootElement.GetProperty("streams").GetInt32();
    }

    /// <summary>A wait for <c>mesh_xds_connected_proxies</c> that does not poll <c>/metrics</c> (<see cref="ConnectedWait"/>).</summary>
    public ConnectedWait ConnectedWait() =>
        new(OpenStreamsAsync, async () => await MetricAsync("mesh_xds_connected_proxies") ?? 0, TimeProvider.System);

    /// <summary>The whole of /metrics, once, for several figures of one moment.</summary>
    public Task<string> ScrapeAsync() => Http.GetStringAsync(new Uri(admin, "/metrics"));

    /// <summary>Each sample line of a scrape: the metric's name, its labels (without braces; empty when none) and its value.</summary>
    public static IEnumerable<(string Name, string Labels, double Value)> Series(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.LastIndexOf(' ');
            if (space <= 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            if (brace > 0 && brace < space)
            {
                yield return (line[..brace], line[(brace + 1)..line.LastIndexOf('}')], value);
            }
            else
            {
                yield return (line[..line.IndexOf(' ', StringComparison.Ordinal)], "", value);
            }
        }
    }

    /// <summary>The sum of a metric's series in a scrape whose labels contain <paramref name="label"/>; 0 when none.</summary>
    public static double Sum(string text, string name, string label) =>
        Series(text).Where(s => s.Name == name && s.Labels.Contains(label, StringComparison.Ordinal)).Sum(s => s.Value);

    public async Task<double?> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync(new Uri(admin, "/metrics"));
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}

/// <summary>
/// Forces a full collection in another .NET process without it exposing anything: dotnet-gcdump induces a
/// blocking gen2 GC to walk the heap.
/// </summary>
internal static class ForcedCollection
{
    public static string? Tool { get; } = new[]
    {
        Environment.GetEnvironmentVariable("DOTNET_GCDUMP"),
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump"),
    }.FirstOrDefault(File.Exists);

    /// <summary>Forces the collection; false without the tool. The heap size is then read where the process reports it.</summary>
    public static async Task<bool> CollectAsync(int pid)
    {
        if (Tool is null)
        {
            return false;
        }

        var output = Path.Combine(Path.GetTempPath(), $"mesh-fleet-{pid}-{Environment.TickCount64}.gcdump");
        var info = new ProcessStartInfo(Tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", output })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        File.Delete(output);
        return process.ExitCode == 0;
    }
}
