using System.Globalization;

namespace Mesh.ApiLoad;

/// <summary>Counters read from the API's own /metrics (the Prometheus text exposition).</summary>
internal static class ApiMetrics
{
    public const string GcPauseSeconds = "dotnet_gc_pause_time_seconds_total";

    /// <summary>Methods the API's JIT has compiled or recompiled (each tier of a method counts) since it started.</summary>
    public const string JitCompiledMethods = "dotnet_jit_compiled_methods_total";

    /// <summary>The API process's CPU time, user and system (two label sets, summed).</summary>
    public const string CpuSeconds = "dotnet_process_cpu_time_seconds_total";

    /// <summary>Bytes the API has allocated on the GC heap since it started.</summary>
    public const string AllocatedBytes = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>The API's garbage collections (one series per generation, each collection counted once).</summary>
    public const string GcCollections = "dotnet_gc_collections_total";

    /// <summary>ASP.NET Core's request-duration histogram (from Kestrel's start of a request to its end), in seconds.</summary>
    public const string RequestDuration = "http_server_request_duration_seconds";

    /// <summary>The sum of a counter over its label sets, NaN when the exposition has none of it.</summary>
    public static double Counter(string metrics, string name) => Sum(metrics, name, label: null);

    /// <summary>
    /// The requests a histogram counted within <paramref name="upperBound"/> seconds (its bucket <c>le="…"</c>, which is
    /// cumulative), summed over its label sets; NaN when it has no such bucket.
    /// </summary>
    public static double Bucket(string metrics, string histogram, string upperBound) =>
        Sum(metrics, histogram + "_bucket", $"le=\"{upperBound}\"");

    private static double Sum(string metrics, string name, string? label)
    {
        var sum = double.NaN;
        foreach (var line in metrics.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(name) && line.Length > name.Length && line[name.Length] is '{' or ' '
                && (label is null || line.Contains(label, StringComparison.Ordinal))
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum = double.IsNaN(sum) ? value : sum + value;
            }
        }

        return sum;
    }
}
