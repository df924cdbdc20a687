namespace Mesh.ApiLoad;

/// <summary>
/// Time the garbage collector held every thread, of the API (its /metrics, dotnet_gc_pause_time_seconds_total) and of
/// this load client: each pause stalls every call in flight in that process, so it shows in the tail (p99) rather
/// than in the median, and is reported per cell beside the latencies to tell the two apart. The same reading takes
/// the API's count of JIT'd methods, so a cell can say whether the JIT was still at work while it measured, the
/// API's CPU time and bytes allocated, so a cell can say what a call cost the API itself, and the API's collections and
/// its own request-duration histogram, so a cell can say whether its slow calls were slow inside the API.
/// </summary>
internal sealed class GcPauses(Uri api)
{
    private readonly HttpClient http = new() { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>A reading of both processes' counters (the API's are NaN when its /metrics cannot be read).</summary>
    public async Task<Reading> ReadAsync()
    {
        var client = GC.GetTotalPauseDuration().TotalSeconds;
        try
        {
            var metrics = await http.GetStringAsync("/metrics");
            return new Reading(ApiPause(metrics), client, ApiMetrics.Counter(metrics, ApiMetrics.JitCompiledMethods),
                ApiMetrics.Counter(metrics, ApiMetrics.CpuSeconds), ApiMetrics.Counter(metrics, ApiMetrics.AllocatedBytes),
                ApiMetrics.Counter(metrics, ApiMetrics.GcCollections),
                ApiMetrics.Counter(metrics, ApiMetrics.RequestDuration + "_count"),
                ApiMetrics.Bucket(metrics, ApiMetrics.RequestDuration, "0.005"),
                ApiMetrics.Bucket(metrics, ApiMetrics.RequestDuration, "0.01"));
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return Reading.Unread(client);
        }
    }

    /// <summary>The pause total in a Prometheus text exposition, NaN when it is not there.</summary>
    public static double ApiPause(string metrics) => ApiMetrics.Counter(metrics, ApiMetrics.GcPauseSeconds);

    /// <summary>
    /// One reading: the API's GC pause seconds, the client's, the API's JIT'd methods, CPU seconds (user and system),
    /// bytes allocated and collections (every generation), and of its HTTP server's request-duration histogram the
    /// requests, and those done within 5 ms and within 10 ms.
    /// </summary>
    public readonly record struct Reading(
        double ApiSeconds, double ClientSeconds, double ApiJitMethods, double ApiCpuSeconds, double ApiAllocatedBytes,
        double ApiCollections, double ApiRequests, double ApiRequestsWithin5Ms, double ApiRequestsWithin10Ms)
    {
        public static Reading Unread(double clientSeconds) =>
            new(double.NaN, clientSeconds, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
    }
}
