using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Mesh.Observability;

/// <summary>
/// The process metrics of OpenTelemetry's process instrumentation (<c>process.memory.usage</c>,
/// <c>process.memory.virtual</c>, <c>process.cpu.time</c>, <c>process.thread.count</c>, <c>process.uptime</c>,
/// <c>process.unix.file_descriptor.count</c>: the same names, instrument kinds, units, descriptions and meanings), read
/// on Linux at a cost that does not grow with the process's threads and open files. That package reads them through
/// <see cref="Process"/>, whose memory and thread figures build a snapshot that reads every thread's
/// <c>/proc/self/task/&lt;tid&gt;/stat</c>, and whose descriptor count lists <c>/proc/self/fd</c> with an
/// <c>lstat</c> and a <c>stat</c> of each entry: with 10,000 sockets, some 21,000 system calls and tens of
/// milliseconds of CPU per collection (docs/benchmarks.md, issue13bj, issue13bn). Here a collection is one read of
/// <c>/proc/self/stat</c>, one <c>getrusage</c> (<see cref="Environment.CpuUsage"/>) and one <c>statx</c>.
/// </summary>
/// <remarks>
/// One meter for the process, as the package's is: every meter provider in the process (tests run several hosts in
/// one) exports the same instruments. It keeps the package's meter name, version and schema, so that every series
/// keeps its <c>otel_scope_*</c> labels and a query or rule that selects them by scope still finds them.
/// </remarks>
internal static class ProcessMetrics
{
    public const string MeterName = "OpenTelemetry.Instrumentation.Process";

    /// <summary>The semantic conventions the package's instruments follow (1.43.0 in 1.20.1-rc.1), and so these.</summary>
    private const string SchemaUrl = "https://opentelemetry.io/schemas/1.43.0";

    private static readonly ProcessStatReadings Stat = new(ProcSelfStat.Read);

    private static readonly DateTime StartedUtc = StartTimeUtc();

    private static readonly KeyValuePair<string, object?> UserMode = new("cpu.mode", "user");
    private static readonly KeyValuePair<string, object?> SystemMode = new("cpu.mode", "system");

    private static readonly Meter Meter = Create();

    /// <summary>Makes the meter and its instruments, once per process.</summary>
    public static void EnsureCreated() => GC.KeepAlive(Meter);

    private static Meter Create()
    {
        var meter = new Meter(new MeterOptions(MeterName) { Version = PackageVersion(), TelemetrySchemaUrl = SchemaUrl });
        meter.CreateObservableUpDownCounter("process.memory.usage", Stat.ResidentBytes, unit: "By", description: "The amount of physical memory in use.");
        meter.CreateObservableUpDownCounter("process.memory.virtual", Stat.VirtualBytes, unit: "By", description: "The amount of committed virtual memory.");
        meter.CreateObservableCounter<double>("process.cpu.time", CpuTime, unit: "s", description: "Total CPU seconds broken down by different CPU modes.");
        meter.CreateObservableUpDownCounter("process.thread.count", Stat.Threads, unit: "{thread}", description: "Process threads count.");
        meter.CreateObservableGauge("process.uptime", Uptime, unit: "s", description: "The time the process has been running.");
        meter.CreateObservableUpDownCounter("process.unix.file_descriptor.count", OpenFileDescriptors.Count, unit: "{file_descriptor}", description: "Number of unix file descriptors in use by the process.");
        return meter;
    }

    /// <summary>The runtime's own figure (one <c>getrusage</c>), in microseconds rather than <c>/proc</c>'s clock ticks.</summary>
    private static Measurement<double>[] CpuTime()
    {
        var usage = Environment.CpuUsage;
        return [new(usage.UserTime.TotalSeconds, UserMode), new(usage.PrivilegedTime.TotalSeconds, SystemMode)];
    }

    private static double Uptime() => (DateTime.UtcNow - StartedUtc).TotalSeconds;

    /// <summary>
    /// The package's version as its meter gives it (its informational version without the commit), from the package
    /// the hosts reference: the series' <c>otel_scope_version</c> stays what it was, and moves with the reference.
    /// </summary>
    private static string? PackageVersion() =>
        Assembly.Load(MeterName).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

    /// <summary>Read once: a process's start does not move.</summary>
    private static DateTime StartTimeUtc()
    {
        using var process = Process.GetCurrentProcess();
        return process.StartTime.ToUniversalTime();
    }
}
