namespace Mesh.ApiLoad;

/// <summary>
/// Time the garbage collector held every thread, of the API (its /metrics, dotnet_gc_pause_time_seconds_total) and of
/// this load client: each pause stalls every call in flight in that process, so it shows in the tail (p99) rather
/// than in the median, and is reported per cell beside the latencies to tell the two apart. The same reading takes
/// the API's count of JIT'd methods, so a cell can say whether the JIT was still at work while it measured, and the
/// API's CPU time and bytes allocated, so a cell can say what a call cost the API itself.
/// </summary>
internal sealed class GcPauses(Uri api)
{
    private readonly HttpClient http = new() { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// A reading of both processes' pause totals and the API's JIT'd methods, CPU seconds (user and system) and bytes
    /// allocated (the API's are NaN when its /metrics cannot be read).
    /// </summary>
    public async Task<(double ApiSeconds, double ClientSeconds, double ApiJitMethods, double ApiCpuSeconds, double ApiAllocatedBytes)> ReadAsync()
    {
        var client = GC.GetTotalPauseDuration().TotalSeconds;
        try
        {
            var metrics = await http.GetStringAsync("/metrics");
            return (ApiPause(metrics), client, ApiMetrics.Counter(metrics, ApiMetrics.JitCompiledMethods),
                ApiMetrics.Counter(metrics, ApiMetrics.CpuSeconds), ApiMetrics.Counter(metrics, ApiMetrics.AllocatedBytes));
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return (double.NaN, client, double.NaN, double.NaN, double.NaN);
        }
    }

    /// <summary>The pause total in a Prometheus text exposition, NaN when it is not there.</summary>
    public static double ApiPause(string metrics) => ApiMetrics.Counter(metrics, ApiMetrics.GcPauseSeconds);
}
