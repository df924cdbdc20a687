namespace Mesh.XdsServer.Hosting.Memory;

/// <summary>
/// When to hand the GC's free memory back to the system: once the server has been quiet (allocating less than
/// <see cref="QuietBytesPerSecond"/> and writing fewer than <see cref="QuietResponsesPerSecond"/> xDS responses) for
/// the quiet time, and its resident memory has grown by at least
/// <see cref="GrownBytes"/> since the last trim (or the start), so that a burst (proxies connecting, a route change's
/// responses) is followed by one trim, and an idle server or a steady trickle by none. A trim is skipped (and the
/// burst counted as handled) when the GC holds too little it could give back: less than <see cref="MinReclaimableBytes"/>
/// or an eighth of the live heap, since a trim marks and compacts the whole live heap whatever it gives back.
/// <para>
/// Why: Server GC keeps the regions a burst committed (its allocation budget, emptied by the burst's collections) for
/// the next burst, and decommits them only as later collections age them, so an idle server collects nothing and keeps
/// them. After three route changes to 2,000 proxies that was 20–26 KiB per idle proxy of committed, empty heap beside
/// 44–62 KiB of live objects, for as long as the proxies stayed idle (docs/benchmarks.md, issue13ai).
/// </para>
/// </summary>
internal sealed class MemoryTrimPolicy
{
    /// <summary>Slower than this is quiet: an idle proxy's keep-alive pings and the feed's polling stay below it.</summary>
    public const long QuietBytesPerSecond = 1 << 20;

    /// <summary>
    /// More xDS responses a second than this is not quiet, whatever the allocations: a route change's tail (the last
    /// pushes and their ACKs, a few hundred bytes each) allocates below <see cref="QuietBytesPerSecond"/>, and a trim
    /// there stopped every thread in the middle of the change (10,000 proxies: 6–8 s at load 50, in two of four runs;
    /// docs/benchmarks.md, issue13ar). A proxy reconnecting now and then stays below it.
    /// </summary>
    public const long QuietResponsesPerSecond = 10;

    /// <summary>Resident growth since the last trim before another is worth a full collection.</summary>
    public const long GrownBytes = 16L << 20;

    /// <summary>The least committed-but-not-live memory a trim must be able to give back.</summary>
    public const long MinReclaimableBytes = 16L << 20;

    /// <summary>
    /// The live heap divided by this is the least a trim must give back: its pause and CPU grow with the live heap
    /// (10,000 proxies: 0.24–0.4 s stopped whether it gave back 5 or 259 MiB; docs/benchmarks.md, issue13ak).
    /// </summary>
    public const int LiveShareDivisor = 8;

    private readonly TimeSpan _quiet;
    private TimeSpan _lastAt;
    private long _lastAllocated;
    private long _lastResponses;
    private TimeSpan _quietSince;
    private long _residentAfterTrim;

    /// <param name="quiet">How long the server must be quiet before a trim.</param>
    /// <param name="now">The time of the first sample (any monotonic clock).</param>
    /// <param name="allocated">Bytes allocated since the process started, at <paramref name="now"/>.</param>
    /// <param name="resident">The process's resident bytes at <paramref name="now"/>: growth is counted from here.</param>
    /// <param name="responses">xDS responses written since the process started, at <paramref name="now"/>.</param>
    public MemoryTrimPolicy(TimeSpan quiet, TimeSpan now, long allocated, long resident, long responses = 0)
    {
        _quiet = quiet;
        _lastAt = now;
        _quietSince = now;
        _lastAllocated = allocated;
        _lastResponses = responses;
        _residentAfterTrim = resident;
    }

    /// <summary>
    /// Takes a sample (the clock, <c>GC.GetTotalAllocatedBytes</c>, the resident size, the GC's committed bytes and
    /// live bytes as of its last collection, and the xDS responses written since the start) and says whether to trim
    /// now, skip this burst, or wait.
    /// </summary>
    public TrimDecision Sample(TimeSpan now, long allocated, long resident, long committed, long live, long responses = 0)
    {
        var elapsed = now - _lastAt;
        if (elapsed <= TimeSpan.Zero)
        {
            return TrimDecision.Wait;
        }

        var rate = (allocated - _lastAllocated) / elapsed.TotalSeconds;
        var responseRate = (responses - _lastResponses) / elapsed.TotalSeconds;
        _lastAt = now;
        _lastAllocated = allocated;
        _lastResponses = responses;
        if (rate > QuietBytesPerSecond || responseRate > QuietResponsesPerSecond)
        {
            _quietSince = now;
            return TrimDecision.Wait;
        }

        // Below the last trim's level (memory the pools let go since): that is the new floor to grow from.
        _residentAfterTrim = Math.Min(_residentAfterTrim, resident);
        if (now - _quietSince < _quiet || resident - _residentAfterTrim < GrownBytes)
        {
            return TrimDecision.Wait;
        }

        if (committed - live < Floor(live))
        {
            // Grown, but not in the GC's heap (native buffers, a heap dump's): the burst is handled without a trim,
            // and the next needs growth of its own.
            Trimmed(now, resident);
            return TrimDecision.Skip;
        }

        return TrimDecision.Trim;
    }

    /// <summary>What a trim must be able to give back with <paramref name="live"/> bytes of live objects.</summary>
    public static long Floor(long live) => Math.Max(MinReclaimableBytes, live / LiveShareDivisor);

    /// <summary>A trim was made (or skipped) and left <paramref name="resident"/> bytes: the next needs <see cref="GrownBytes"/> more, and another quiet time.</summary>
    public void Trimmed(TimeSpan now, long resident)
    {
        _residentAfterTrim = resident;
        _quietSince = now;
    }
}

/// <summary>What <see cref="MemoryTrimPolicy.Sample"/> decided.</summary>
internal enum TrimDecision
{
    /// <summary>Not quiet long enough, or not grown enough since the last trim.</summary>
    Wait,

    /// <summary>Quiet after a burst, and the GC holds enough it could give back.</summary>
    Trim,

    /// <summary>Quiet after a burst, but the GC holds too little it could give back for a trim's cost.</summary>
    Skip,
}
