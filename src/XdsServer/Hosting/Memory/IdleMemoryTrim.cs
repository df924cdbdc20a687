using System.Diagnostics;
using Mesh.XdsServer.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Hosting.Memory;

/// <summary>
/// Once a burst is over and the server is quiet (<see cref="MemoryTrimPolicy"/>), one aggressive full collection:
/// the GC compacts and decommits every region it does not need, so an idle server's resident memory falls back to its
/// live objects instead of keeping what the burst committed. Off with <c>Xds:MemoryTrimQuietSeconds=0</c>.
/// <para>
/// The collection stops every thread for its length (it is blocking and compacting), which is why it waits for a
/// quiet server; its count, pauses and what it gave back are in <c>/metrics</c>
/// (<c>mesh_xds_memory_trims_total</c>, <c>mesh_xds_memory_trim_pause_seconds</c>, <c>mesh_xds_memory_trim_cpu_seconds</c>,
/// <c>mesh_xds_memory_trim_released_bytes_total</c>).
/// </para>
/// </summary>
internal sealed partial class IdleMemoryTrim : BackgroundService
{
    /// <summary>How often allocations and the resident size are sampled: cheap (a counter and one /proc read), and fine enough for a quiet time of seconds.</summary>
    public static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    public const string Trims = "mesh_xds_memory_trims_total";
    public const string PauseSeconds = "mesh_xds_memory_trim_pause_seconds";
    public const string CpuSeconds = "mesh_xds_memory_trim_cpu_seconds";
    public const string ReleasedBytes = "mesh_xds_memory_trim_released_bytes_total";
    public const string Skipped = "mesh_xds_memory_trims_skipped_total";

    private readonly TimeSpan _quiet;
    private readonly TimeProvider _time;
    private readonly XdsMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<long> _allocated;
    private readonly Func<long> _resident;
    private readonly Func<GcHeap> _heap;
    private readonly Action _collect;
    private readonly Func<long> _responses;
    private double _pauseSeconds;
    private double _cpuSeconds;

    public IdleMemoryTrim(TimeSpan quiet, TimeProvider time, XdsMetrics metrics, ILogger<IdleMemoryTrim> logger)
        : this(quiet, time, metrics, logger, () => GC.GetTotalAllocatedBytes(), () => Environment.WorkingSet, HeapNow, Collect, metrics.ResponsesSent)
    {
    }

    /// <summary>With the allocation counter, the resident size and the collection given (tests).</summary>
    internal IdleMemoryTrim(TimeSpan quiet, TimeProvider time, XdsMetrics metrics, ILogger<IdleMemoryTrim> logger, Func<long> allocated, Func<long> resident, Func<GcHeap> heap, Action collect, Func<long>? responses = null)
    {
        _quiet = quiet;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _allocated = allocated;
        _resident = resident;
        _heap = heap;
        _collect = collect;
        _responses = responses ?? (() => 0);
        // Present from the start, at 0, so a scrape tells "never trimmed" from "not running".
        _metrics.Increment(Trims, TrimsHelp, by: 0);
        _metrics.Increment(ReleasedBytes, ReleasedHelp, by: 0);
        _metrics.Increment(Skipped, SkippedHelp, by: 0);
        _metrics.Gauge(PauseSeconds, "Seconds every thread was stopped for the idle trims' collections since start.", () => Volatile.Read(ref _pauseSeconds));
        _metrics.Gauge(CpuSeconds, "CPU seconds the process used during the idle trims' collections since start (the GC's threads, all cores).", () => Volatile.Read(ref _cpuSeconds));
    }

    private const string TrimsHelp = "Aggressive full collections made after a burst, once the server was quiet (Xds:MemoryTrimQuietSeconds), to give the GC's free memory back.";
    private const string SkippedHelp = "Bursts after which the server was quiet and had grown, but no trim was made: the GC held too little it could give back (under 16 MiB or an eighth of the live heap).";
    private const string ReleasedHelp = "Resident bytes the idle trims' collections gave back since start (the process's working set before less after).";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var policy = new MemoryTrimPolicy(_quiet, _time.GetElapsedTime(0), _allocated(), _resident(), _responses());
        using var timer = new PeriodicTimer(SampleEvery, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var heap = _heap();
                switch (policy.Sample(_time.GetElapsedTime(0), _allocated(), _resident(), heap.Committed, heap.Live, _responses()))
                {
                    case TrimDecision.Trim:
                        policy.Trimmed(_time.GetElapsedTime(0), Trim(heap));
                        break;
                    case TrimDecision.Skip:
                        Skip(heap);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A burst the policy let pass without a trim: counted and logged, so a server that never trims says why.</summary>
    internal void Skip(GcHeap heap)
    {
        _metrics.Increment(Skipped, SkippedHelp);
        Log.Skipped(_logger, (heap.Committed - heap.Live) >> 20, MemoryTrimPolicy.Floor(heap.Live) >> 20);
    }

    /// <summary>One trim: the collection, counted, with what it gave back; the resident bytes it left.</summary>
    internal long Trim(GcHeap heap)
    {
        var before = _resident();
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        _collect();
        var took = Stopwatch.GetElapsedTime(started);
        var cpuUsed = Environment.CpuUsage.TotalTime - cpu;
        var after = _resident();
        _metrics.Increment(Trims, TrimsHelp);
        _metrics.Increment(ReleasedBytes, ReleasedHelp, by: Math.Max(0, before - after));
        Volatile.Write(ref _pauseSeconds, _pauseSeconds + took.TotalSeconds);
        Volatile.Write(ref _cpuSeconds, _cpuSeconds + cpuUsed.TotalSeconds);
        Log.Trimmed(_logger, before >> 20, after >> 20, (heap.Committed - heap.Live) >> 20, (long)took.TotalMilliseconds, (long)cpuUsed.TotalMilliseconds);
        return after;
    }

    // Aggressive: compacts and decommits what the GC would otherwise keep for the next burst (it must be blocking and compacting).
    private static void Collect() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    // As of the GC's last collection: what it had committed, and what of its heap held live objects (not free space).
    private static GcHeap HeapNow()
    {
        var info = GC.GetGCMemoryInfo();
        return new GcHeap(info.TotalCommittedBytes, info.HeapSizeBytes - info.FragmentedBytes);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Quiet after a burst: gave the GC's free memory back, resident {BeforeMiB} MiB → {AfterMiB} MiB (the GC held {ReclaimableMiB} MiB committed and not live), threads stopped {PauseMs} ms, CPU {CpuMs} ms")]
        public static partial void Trimmed(ILogger logger, long beforeMiB, long afterMiB, long reclaimableMiB, long pauseMs, long cpuMs);

        [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Quiet after a burst, but no trim: the GC holds {ReclaimableMiB} MiB committed and not live, under the {FloorMiB} MiB a trim must give back for its cost")]
        public static partial void Skipped(ILogger logger, long reclaimableMiB, long floorMiB);
    }
}

/// <summary>The GC's committed bytes and the live bytes in its heap, as of its last collection.</summary>
internal readonly record struct GcHeap(long Committed, long Live);
