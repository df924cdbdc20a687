using System.Globalization;

namespace Mesh.ApiLoad;

/// <summary>
/// Time the garbage collector held every thread, of the API (its /metrics, dotnet_gc_pause_time_seconds_total) and of
/// this load client: each pause stalls every call in flight in that process, so it shows in the tail (p99) rather
/// than in the median, and is reported per cell beside the latencies to tell the two apart.
/// </summary>
internal sealed class GcPauses(Uri api)
{
    private const string PauseMetric = "dotnet_gc_pause_time_seconds_total";

    private readonly HttpClient http = new() { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>A reading of both processes' pause totals (the API's is NaN when its /metrics cannot be read).</summary>
    public async Task<(double ApiSeconds, double ClientSeconds)> ReadAsync()
    {
        var client = GC.GetTotalPauseDuration().TotalSeconds;
        try
        {
            return (ApiPause(await http.GetStringAsync("/metrics")), client);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return (double.NaN, client);
        }
    }

    /// <summary>The pause total in a Prometheus text exposition, NaN when it is not there.</summary>
    public static double ApiPause(string metrics)
    {
        foreach (var line in metrics.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(PauseMetric) && line.Length > PauseMetric.Length && line[PauseMetric.Length] is '{' or ' '
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }
        }

        return double.NaN;
    }
}
