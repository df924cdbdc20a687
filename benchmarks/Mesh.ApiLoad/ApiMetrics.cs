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

    /// <summary>The sum of a counter over its label sets, NaN when the exposition has none of it.</summary>
    public static double Counter(string metrics, string name)
    {
        var sum = double.NaN;
        foreach (var line in metrics.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(name) && line.Length > name.Length && line[name.Length] is '{' or ' '
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum = double.IsNaN(sum) ? value : sum + value;
            }
        }

        return sum;
    }
}
