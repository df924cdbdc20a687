using System.Diagnostics;

namespace Mesh.Fleet;

/// <summary>One route change (or raw push): each proxy's latency from the API call, and the server's CPU for it.</summary>
internal sealed record ChangeFigures(IReadOnlyList<double> Latencies, TimeSpan Cpu)
{
    /// <summary>Methods the server's JIT compiled meanwhile (NaN when not known).</summary>
    public double JitMethods { get; init; } = double.NaN;
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
