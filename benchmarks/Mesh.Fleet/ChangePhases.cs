using System.Diagnostics;

namespace Mesh.Fleet;

/// <summary>One route change (or raw push): each proxy's latency from the API call, and the server's CPU for it.</summary>
internal sealed record ChangeFigures(IReadOnlyList<double> Latencies, TimeSpan Cpu)
{
    /// <summary>What the server's JIT compiled meanwhile.</summary>
    public JitCount Jit { get; init; } = JitCount.Unknown;

    /// <summary>p99 of when each proxy read the response, before writing its ACK (ms; NaN for the raw push, which has no ACK).</summary>
    public double ReceivedP99 { get; init; } = double.NaN;

    /// <summary>The fleet process's own CPU meanwhile: it shares the server's cores.</summary>
    public TimeSpan FleetCpu { get; init; }

    /// <summary>The server's garbage collections meanwhile.</summary>
    public GcCount Gc { get; init; } = GcCount.Unknown;

    /// <summary>
    /// Blocks the server's pool for Kestrel's buffers made meanwhile (<c>mesh_xds_kestrel_blocks_allocated</c>; NaN
    /// with Kestrel's own pool): a change that needs more blocks out at once than any before makes the difference, and
    /// each new block is allocation and page faults the change pays once (docs/benchmarks.md, issue13bk).
    /// </summary>
    public double BlocksMade { get; init; } = double.NaN;
}

/// <summary>
/// The server pool's new blocks change by change: whether the steady changes (the 2nd on) still carry the pool's
/// warm-up, i.e. whether a change kept reaching a new peak of blocks out at once, or the pool had stopped growing.
/// </summary>
internal static class PoolWarmUp
{
    /// <summary>
    /// Fewer new blocks than one per this many proxies is a warm pool: a few blocks more than the peak kept can be made
    /// by any change's timing, a growing pool makes hundreds.
    /// </summary>
    public const int ProxiesPerStrayBlock = 100;

    /// <summary>The per-change counts and what they say, for the table; null when the server has no pool of Mesh's.</summary>
    public static string? Describe(IReadOnlyList<ChangeFigures> changes, int proxies)
    {
        if (changes.Count == 0 || changes.Any(c => double.IsNaN(c.BlocksMade)))
        {
            return null;
        }

        var counts = string.Join(", ", changes.Select((c, i) => $"#{i + 1} {c.BlocksMade:F0}"));
        if (changes.Count == 1)
        {
            return counts;
        }

        var stray = Math.Max(1.0, proxies / (double)ProxiesPerStrayBlock);
        // The first change from which no change made more than the stray few: the pool's peak reached.
        var warmFrom = changes.Count;
        while (warmFrom > 0 && changes[warmFrom - 1].BlocksMade < stray)
        {
            warmFrom--;
        }

        var reading = warmFrom switch
        {
            _ when warmFrom == changes.Count => "still growing in the last change: the steady figures carry the pool's warm-up",
            0 or 1 => $"warm after the first, under one new block per {ProxiesPerStrayBlock} proxies since: the steady figures are warm",
            _ => $"warm from #{warmFrom + 1}, under one new block per {ProxiesPerStrayBlock} proxies since: the steady changes before it carry the pool's warm-up",
        };
        return $"{counts} ({reading})";
    }
}

/// <summary>
/// The server's garbage collections by generation, the time it was paused for them, and the thread pool's work
/// items (the runtime's counters in its /metrics): whether a change's latency went into collections, and how many
/// hand-offs between threads the change's receives and sends took.
/// </summary>
internal readonly record struct GcCount(double Gen0, double Gen1, double Gen2, double PauseSeconds, double WorkItems, double AllocatedBytes)
{
    public static GcCount Unknown { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static async Task<GcCount> ReadAsync(XdsAdmin admin) => new(
        await admin.SumAsync("dotnet_gc_collections_total", "\"gen0\""),
        await admin.SumAsync("dotnet_gc_collections_total", "\"gen1\""),
        await admin.SumAsync("dotnet_gc_collections_total", "\"gen2\""),
        await admin.MetricAsync("dotnet_gc_pause_time_seconds_total") ?? double.NaN,
        await admin.MetricAsync("dotnet_thread_pool_work_item_number_total") ?? double.NaN,
        await admin.MetricAsync("dotnet_gc_heap_total_allocated_bytes_total") ?? double.NaN);

    public static GcCount operator -(GcCount after, GcCount before) =>
        new(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2, after.PauseSeconds - before.PauseSeconds, after.WorkItems - before.WorkItems, after.AllocatedBytes - before.AllocatedBytes);

    public override string ToString() => $"GCs {Gen0:F0}/{Gen1:F0}/{Gen2:F0} (gen0/1/2) pausing {PauseSeconds * 1000:F0} ms, {WorkItems:F0} thread-pool work items, {AllocatedBytes / 1048576:F1} MiB allocated";
}

/// <summary>
/// Methods the server's JIT has compiled and the time it spent compiling them (the runtime's own counters, in the
/// server's /metrics). What a phase compiled is a one-time cost that a server which had run that code already does
/// not pay again; recompiling hot methods optimised (tiered compilation) counts too.
/// </summary>
internal readonly record struct JitCount(double Methods, double Seconds)
{
    public static JitCount Unknown { get; } = new(double.NaN, double.NaN);

    public static async Task<JitCount> ReadAsync(XdsAdmin admin) => new(
        await admin.MetricAsync("dotnet_jit_compiled_methods_total") ?? double.NaN,
        await admin.MetricAsync("dotnet_jit_compilation_time_seconds_total") ?? double.NaN);

    public static JitCount operator -(JitCount after, JitCount before) => new(after.Methods - before.Methods, after.Seconds - before.Seconds);

    public override string ToString() => $"the JIT compiled {Methods:F0} methods in {Seconds * 1000:F0} ms";
}

/// <summary>
/// The first change after a server started apart from the later ones: the first pays whatever a fresh process
/// compiles and builds for the change path once, the later ones (the steady state) only what each change costs.
/// Milliseconds; NaN for the steady figures when only one change was measured.
/// </summary>
internal sealed record ChangeSplit(double FirstP99, double FirstCpu, double SteadyP99, double SteadyCpu)
{
    public static ChangeSplit Of(IReadOnlyList<ChangeFigures> changes) => changes.Count switch
    {
        0 => new(double.NaN, double.NaN, double.NaN, double.NaN),
        _ => new(
            Stats.Percentile(changes[0].Latencies, 0.99),
            changes[0].Cpu.TotalMilliseconds,
            changes.Count > 1 ? Stats.Percentile([.. changes.Skip(1).SelectMany(c => c.Latencies)], 0.99) : double.NaN,
            changes.Count > 1 ? changes.Skip(1).Average(c => c.Cpu.TotalMilliseconds) : double.NaN),
    };
}

/// <summary>
/// What starting the xDS server cost, before any proxy: time to ready, the process's CPU by then, and of it the
/// start-up warm-up's (its /metrics gauges; zero for a server without one). Paid once per server, not per proxy.
/// </summary>
internal sealed record ServerStart(TimeSpan Ready, TimeSpan Cpu, TimeSpan WarmUp, TimeSpan WarmUpCpu)
{
    public static ServerStart Unknown { get; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    public static async Task<ServerStart> ReadAsync(ServerProcess server, XdsAdmin admin) => new(
        Stopwatch.GetElapsedTime(server.Started),
        server.Cpu,
        TimeSpan.FromSeconds(await admin.MetricAsync("mesh_xds_warm_up_seconds") ?? 0),
        TimeSpan.FromSeconds(await admin.MetricAsync("mesh_xds_warm_up_cpu_seconds") ?? 0));
}

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
