using System.Diagnostics;

namespace Mesh.Fleet;

/// <summary>
/// <c>perf record -g</c> of a server during the steady changes only (the 2nd change on), when <c>--profile-steady DIR</c>
/// is given: started after the first change or push, stopped with SIGINT (perf then writes its file) after the last;
/// or during the connect, when <c>--profile-connect DIR</c> is (the same file names in that directory).
/// The servers need <c>DOTNET_PerfMapEnabled=1</c> for names (in the fleet's environment: both servers inherit it).
/// Or a <c>dotnet-trace</c> of the runtime's allocation events over the same steady changes, when <c>--trace-steady DIR</c> is.
/// </summary>
internal sealed class SteadyProfile : IAsyncDisposable
{
    private readonly Process? _perf;
    private readonly TimeSpan _stopTimeout;

    private SteadyProfile(Process? perf, TimeSpan? stopTimeout = null)
    {
        _perf = perf;
        _stopTimeout = stopTimeout ?? TimeSpan.FromSeconds(60);
    }

    public static async Task<SteadyProfile> StartAsync(string? directory, int pid, string name)
    {
        if (directory is null)
        {
            return new SteadyProfile(null);
        }

        Directory.CreateDirectory(directory);
        var perf = Process.Start(new ProcessStartInfo("perf", ["record", "-F", "999", "-g", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", Path.Combine(directory, $"{name}.data")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _ = perf.StandardError.ReadToEndAsync();
        _ = perf.StandardOutput.ReadToEndAsync();
        await Task.Delay(1000); // perf attaches to every thread before it samples
        return new SteadyProfile(perf);
    }

    /// <summary>
    /// The runtime's <c>AllocationTick</c> events (one per ~100 KB a thread allocates, with its type and managed stack:
    /// the GC keyword 0x1 and the stack keyword 0x40000000, verbose) and the GC's own, into DIR/name.nettrace; the
    /// trace's rundown at the stop names the methods. <c>dotnet-trace</c> is a dotnet global tool on the PATH.
    /// </summary>
    public static async Task<SteadyProfile> StartAllocationTraceAsync(string? directory, int pid, string name)
    {
        if (directory is null)
        {
            return new SteadyProfile(null);
        }

        Directory.CreateDirectory(directory);
        // Through env, which gives the tool SIGINT's default handling back: a fleet started in the background (`&` in a
        // script) has SIGINT ignored, its children inherit that, and the tool then never sees the stop.
        var trace = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "dotnet-trace", "collect", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--providers", "Microsoft-Windows-DotNETRuntime:0x40000001:5", "-o", Path.Combine(directory, $"{name}.nettrace")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _ = trace.StandardError.ReadToEndAsync();
        _ = trace.StandardOutput.ReadToEndAsync();

        // The change must not begin before the session is open, which the tool's output file says (a loaded machine
        // takes seconds to start the tool).
        var file = Path.Combine(directory, $"{name}.nettrace");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(file) && !trace.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200);
        }

        await Task.Delay(1000);
        return new SteadyProfile(trace, TimeSpan.FromMinutes(5)); // its rundown (the methods' names) takes a while when busy
    }

    public async ValueTask DisposeAsync()
    {
        if (_perf is null)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", _perf.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _perf.WaitForExitAsync().WaitAsync(_stopTimeout);
        _perf.Dispose();
    }
}
