using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// Process and .NET runtime metrics for the xDS server's Prometheus text, read from the platform at each scrape.
/// Names and labels are those the API exports through OpenTelemetry's process and runtime instrumentation (with the
/// API's renames of <c>*_count</c> gauges), so one dashboard query covers both hosts.
/// </summary>
public static class RuntimeMetrics
{
    public static void Render(StringBuilder text)
    {
        using var process = Process.GetCurrentProcess();
        Counter(text, "process_cpu_time_seconds_total", "Total CPU seconds broken down by different states.",
            ("process_cpu_state=\"user\"", process.UserProcessorTime.TotalSeconds),
            ("process_cpu_state=\"system\"", process.PrivilegedProcessorTime.TotalSeconds));
        Gauge(text, "process_memory_usage_bytes", "The amount of physical memory in use.", Environment.WorkingSet);
        Gauge(text, "process_memory_virtual_bytes", "The amount of committed virtual memory.", process.VirtualMemorySize64);
        Gauge(text, "process_threads", "Process threads count.", process.Threads.Count);
        if (Directory.Exists("/proc/self/fd"))
        {
            Gauge(text, "process_open_fds", "The number of file descriptors in use by the process.", Directory.GetFileSystemEntries("/proc/self/fd").Length);
        }

        Gauge(text, "process_uptime_seconds", "The time the process has been running.", (DateTime.Now - process.StartTime).TotalSeconds);

        Counter(text, "dotnet_gc_collections_total", "The number of garbage collections that have occurred since the process has started.",
            Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => ($"gc_heap_generation=\"gen{g}\"", (double)CollectionsOnlyOf(g))).ToArray());
        Counter(text, "dotnet_gc_heap_total_allocated_bytes_total", "The approximate number of bytes allocated on the managed GC heap since the process has started.",
            ("", GC.GetTotalAllocatedBytes()));
        Counter(text, "dotnet_gc_pause_time_seconds_total", "The total amount of time paused in GC since the process has started.",
            ("", GC.GetTotalPauseDuration().TotalSeconds));
        Gauge(text, "dotnet_gc_heap_size_bytes", "The managed GC heap size as of the last garbage collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        Gauge(text, "dotnet_thread_pool_threads", "The number of thread pool threads that currently exist.", ThreadPool.ThreadCount);
        Gauge(text, "dotnet_thread_pool_queue_length", "The number of work items that are currently queued to be processed by the thread pool.", ThreadPool.PendingWorkItemCount);
        Counter(text, "dotnet_monitor_lock_contentions_total", "The number of times there was contention when trying to acquire a monitor lock since the process has started.",
            ("", Monitor.LockContentionCount));
    }

    /// <summary>GC.CollectionCount(g) counts every collection of g or higher; the runtime's meter counts each generation alone.</summary>
    private static int CollectionsOnlyOf(int generation) =>
        GC.CollectionCount(generation) - (generation < GC.MaxGeneration ? GC.CollectionCount(generation + 1) : 0);

    private static void Counter(StringBuilder text, string name, string help, params (string Labels, double Value)[] series)
    {
        Header(text, name, help, "counter");
        foreach (var (labels, value) in series)
        {
            Sample(text, name, labels, value);
        }
    }

    private static void Gauge(StringBuilder text, string name, string help, double value)
    {
        Header(text, name, help, "gauge");
        Sample(text, name, "", value);
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
