using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Mesh.Observability;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Win32.SafeHandles;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Mesh.XdsServer.Tests.Observability;

/// <summary>
/// The process metrics both hosts export (<c>process_*</c> on <c>/metrics</c>): what a collection costs does not grow
/// with the process's threads and open files (an xDS server holds a socket per proxy), and every value is what the
/// kernel reports. Not run beside other classes: they open sockets and start threads, which the comparisons count.
/// </summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed class ProcessMetricsTests
{
    private const int ExtraFiles = 2_000;
    private const int ExtraThreads = 40;

    [Fact]
    public void A_Collection_Allocates_No_More_With_Thousands_Of_Open_Files_And_Dozens_More_Threads()
    {
        using var provider = Sdk.CreateMeterProviderBuilder().AddProcessMetrics().Build();
        using var collector = new ProcessCollector();
        for (var i = 0; i < 3; i++)
        {
            collector.Collect(); // every path run, and compiled, once
        }

        var alone = collector.AllocatedByCollect();
        using (var files = Opened(ExtraFiles))
        using (var threads = new WaitingThreads(ExtraThreads))
        {
            var loaded = collector.AllocatedByCollect();

            // What a collection allocates (the CPU times' two measurements) is the same whatever the process holds.
            // Through System.Diagnostics.Process (OpenTelemetry's package) it grew with both: each descriptor's path,
            // listed, and a ThreadInfo per thread; with 2,000 more files and 40 more threads, 309,072 bytes against 552.
            Assert.True(loaded <= alone + 256, $"a collection allocated {alone} bytes, and {loaded} with {ExtraFiles} more open files and {ExtraThreads} more threads");
            Assert.Equal(
                ["process.cpu.time", "process.memory.usage", "process.memory.virtual", "process.thread.count", "process.unix.file_descriptor.count", "process.uptime"],
                collector.Observed.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Every_Value_Is_What_The_Kernel_Reports()
    {
        using var provider = Sdk.CreateMeterProviderBuilder().AddProcessMetrics().Build();
        using var collector = new ProcessCollector();
        using var files = Opened(ExtraFiles);
        using var threads = new WaitingThreads(ExtraThreads);

        // Each value lies between the kernel's figures read just before and just after the collection, within what a
        // running test host changes in that moment (the GC and the JIT map memory; the runtime starts threads). The
        // tests before this one may leave work settling (pooled connections closed, thread pool threads retired): a
        // collection during which the descriptors or threads changed is made again, up to ten times, so that the
        // figures compared are of one moment rather than of a burst the slack was never meant to cover.
        KernelFigures before, after;
        var attempt = 0;
        do
        {
            before = KernelFigures.Read();
            collector.Collect();
            after = KernelFigures.Read();
        }
        while ((before.Threads != after.Threads || before.OpenFiles != after.OpenFiles) && ++attempt < 10);

        const long Mebibyte = 1 << 20;
        Between("process.memory.usage", before.ResidentBytes, after.ResidentBytes, 8 * Mebibyte);
        Between("process.memory.virtual", before.VirtualBytes, after.VirtualBytes, 64 * Mebibyte);
        Between("process.thread.count", before.Threads, after.Threads, 4);

        // Listing /proc/self/fd counts the listing's own descriptor (as .NET's Process.HandleCount does not).
        Between("process.unix.file_descriptor.count", before.OpenFiles - 1, after.OpenFiles - 1, 8);
        Assert.True(collector.Value("process.unix.file_descriptor.count") > ExtraFiles);

        // /proc/self/stat counts CPU time in clock ticks; the runtime's figure is finer, so it lies within a tick.
        var tick = 1.0 / before.TicksPerSecond;
        BetweenMode("process.cpu.time", "user", before.UserSeconds - tick, after.UserSeconds + tick);
        BetweenMode("process.cpu.time", "system", before.SystemSeconds - tick, after.SystemSeconds + tick);
        Assert.True(collector.Value("process.cpu.time", "user") > 0);

        using var process = Process.GetCurrentProcess();
        var uptime = (DateTime.UtcNow - process.StartTime.ToUniversalTime()).TotalSeconds;
        Assert.InRange(collector.Value("process.uptime"), uptime - 5, uptime + 0.5);

        void Between(string name, double low, double high, double slack) =>
            Assert.InRange(collector.Value(name), Math.Min(low, high) - slack, Math.Max(low, high) + slack);

        void BetweenMode(string name, string mode, double low, double high) =>
            Assert.InRange(collector.Value(name, mode), low, high);
    }

    [Fact]
    public void The_Directory_Size_Of_Proc_Self_Fd_Is_The_Count_Of_Its_Entries()
    {
        using var files = Opened(ExtraFiles);

        // Linux 6.2 and later: the size is the count, read with one statx (older kernels say 0, and the entries are listed).
        var size = OpenFileDescriptors.FromDirectorySize();
        var listed = OpenFileDescriptors.Listed();

        Assert.NotNull(size);
        Assert.InRange(size.Value, listed - 4, listed + 4);
        Assert.InRange(OpenFileDescriptors.Count(), listed - 4, listed + 4);
        Assert.True(listed > ExtraFiles);
    }

    [Fact]
    public void One_Read_Of_Proc_Self_Stat_Serves_The_Three_Instruments_Of_A_Collection()
    {
        var reads = 0;
        var readings = new ProcessStatReadings(() => new ProcSelfStat(ResidentBytes: 4096 * ++reads, VirtualBytes: 10 + reads, Threads: 20 + reads));

        Assert.Equal(4096, readings.ResidentBytes());
        Assert.Equal(11, readings.VirtualBytes());
        Assert.Equal(21, readings.Threads());
        Assert.Equal(1, reads);

        // The next collection, in another order: one read, taken by the first value asked again.
        Assert.Equal(22, readings.Threads());
        Assert.Equal(12, readings.VirtualBytes());
        Assert.Equal(8192, readings.ResidentBytes());
        Assert.Equal(2, reads);

        // A view that keeps only one of them: a read for each collection.
        Assert.Equal(23, readings.Threads());
        Assert.Equal(24, readings.Threads());
        Assert.Equal(4, reads);
    }

    [Fact]
    public void Proc_Self_Stat_Is_Parsed_After_The_Last_Parenthesis_Of_Its_Command()
    {
        // proc(5): the command may hold spaces and parentheses; fields 20 (threads), 23 (virtual bytes), 24 (resident pages).
        var line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1200 0 3 0 150 40 0 0 20 0 37 0 5000 3221225472 51200 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0\n";

        var stat = ProcSelfStat.Parse(Encoding.ASCII.GetBytes(line), pageBytes: 4096);

        Assert.Equal(new ProcSelfStat(ResidentBytes: 51200L * 4096, VirtualBytes: 3221225472, Threads: 37), stat);
        Assert.Throws<FormatException>(() => ProcSelfStat.Parse("4242 (cut) S 1 2 3"u8, 4096));
    }

    [Fact]
    public async Task The_Process_Series_On_Metrics_Keep_Their_Names_Types_Units_Help_And_Labels()
    {
        await using var host = await XdsTestHost.StartAsync();

        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        // As OpenTelemetry's process instrumentation 1.20.1-rc.1 exported them through PrometheusNames' renames
        // (main at 90745ef), with every series' labels but the value.
        var lines = text.Split('\n').Where(l => l.StartsWith("process_", StringComparison.Ordinal) || l.StartsWith("# ", StringComparison.Ordinal) && l.Contains(" process_", StringComparison.Ordinal))
            .Select(l => l.StartsWith('#') ? l : l[..l.LastIndexOf('}')] + "}")
            .ToList();
        Assert.Equal(ExpectedProcessSeries, lines);
    }

    private const string Scope = "otel_scope_name=\"OpenTelemetry.Instrumentation.Process\",otel_scope_version=\"1.20.1-rc.1\",otel_scope_schema_url=\"https://opentelemetry.io/schemas/1.43.0\"";

    private static readonly string[] ExpectedProcessSeries =
    [
        "# TYPE process_cpu_time_seconds_total counter",
        "# HELP process_cpu_time_seconds_total Total CPU seconds broken down by different CPU modes.",
        $"process_cpu_time_seconds_total{{{Scope},cpu_mode=\"user\"}}",
        $"process_cpu_time_seconds_total{{{Scope},cpu_mode=\"system\"}}",
        "# TYPE process_memory_usage_bytes gauge",
        "# HELP process_memory_usage_bytes The amount of physical memory in use.",
        $"process_memory_usage_bytes{{{Scope}}}",
        "# TYPE process_memory_virtual_bytes gauge",
        "# HELP process_memory_virtual_bytes The amount of committed virtual memory.",
        $"process_memory_virtual_bytes{{{Scope}}}",
        "# TYPE process_open_fds gauge",
        "# HELP process_open_fds Number of unix file descriptors in use by the process.",
        $"process_open_fds{{{Scope}}}",
        "# TYPE process_threads gauge",
        "# HELP process_threads Process threads count.",
        $"process_threads{{{Scope}}}",
        "# TYPE process_uptime_seconds gauge",
        "# HELP process_uptime_seconds The time the process has been running.",
        $"process_uptime_seconds{{{Scope}}}",
    ];

    private static DisposableList<SafeFileHandle> Opened(int count) =>
        new([.. Enumerable.Range(0, count).Select(_ => File.OpenHandle("/dev/null"))]);

    /// <summary>Collects the process meter's instruments on the calling thread, as an exporter's collection does.</summary>
    private sealed class ProcessCollector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string Name, string? Mode), double> _values = [];

        public ProcessCollector()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "OpenTelemetry.Instrumentation.Process")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
            _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
            _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
            _listener.Start();
        }

        public IEnumerable<string> Observed => _values.Keys.Select(k => k.Name).Distinct();

        public void Collect() => _listener.RecordObservableInstruments();

        public long AllocatedByCollect() => ThreadAllocations.InMostRounds(Collect);

        public double Value(string name, string? mode = null) =>
            _values.TryGetValue((name, mode), out var value) ? value : throw new KeyNotFoundException($"{name} {mode} was not observed");

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? mode = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "cpu.mode")
                {
                    mode = (string?)tag.Value;
                }
            }

            _values[(instrument.Name, mode)] = value;
        }
    }

    /// <summary>Threads that wait until disposed: a process with more of them.</summary>
    private sealed class WaitingThreads : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly List<Thread> _threads = [];

        public WaitingThreads(int count)
        {
            using var started = new CountdownEvent(count);
            for (var i = 0; i < count; i++)
            {
                var thread = new Thread(() =>
                {
                    started.Signal();
                    _release.Wait();
                }) { IsBackground = true };
                thread.Start();
                _threads.Add(thread);
            }

            started.Wait();
        }

        public void Dispose()
        {
            _release.Set();
            foreach (var thread in _threads)
            {
                thread.Join();
            }

            _release.Dispose();
        }
    }

    private sealed class DisposableList<T>(List<T> items) : IDisposable
        where T : IDisposable
    {
        public void Dispose() => items.ForEach(item => item.Dispose());
    }

    /// <summary>The kernel's own figures for this process, read from its files as a user would.</summary>
    private sealed record KernelFigures(long ResidentBytes, long VirtualBytes, int Threads, int OpenFiles, double UserSeconds, double SystemSeconds, long TicksPerSecond)
    {
        private const int ClockTicksName = 2; // _SC_CLK_TCK

        public static KernelFigures Read()
        {
            var status = File.ReadAllLines("/proc/self/status").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = SysConf(ClockTicksName);
            return new KernelFigures(
                Kibibytes(status["VmRSS"]),
                Kibibytes(status["VmSize"]),
                int.Parse(status["Threads"], CultureInfo.InvariantCulture),
                Directory.GetFileSystemEntries("/proc/self/fd").Length,
                long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) / (double)ticks,
                long.Parse(fields[15 - 3], CultureInfo.InvariantCulture) / (double)ticks,
                ticks);
        }

        private static long Kibibytes(string value) => long.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

        [DllImport("libc", EntryPoint = "sysconf")]
        private static extern long SysConf(int name);
    }
}

/// <summary>Runs alone: the process-wide counts it compares would move with other tests' sockets and threads.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "Process metrics";
}
