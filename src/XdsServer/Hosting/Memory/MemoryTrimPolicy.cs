namespace Mesh.XdsServer.Hosting.Memory;

/// <summary>
/// When to hand the GC's free memory back to the system: once the server has been quiet (allocating less than
/// <see cref="QuietBytesPerSecond"/>) for the quiet time, and its resident memory has grown by at least
/// <see cref="GrownBytes"/> since the last trim (or the start), so that a burst (proxies connecting, a route change's
/// responses) is followed by one trim, and an idle server or a steady trickle by none.
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

    /// <summary>Resident growth since the last trim before another is worth a full collection.</summary>
    public const long GrownBytes = 16L << 20;

    private readonly TimeSpan _quiet;
    private TimeSpan _lastAt;
    private long _lastAllocated;
    private TimeSpan _quietSince;
    private long _residentAfterTrim;

    /// <param name="quiet">How long the server must be quiet before a trim.</param>
    /// <param name="now">The time of the first sample (any monotonic clock).</param>
    /// <param name="allocated">Bytes allocated since the process started, at <paramref name="now"/>.</param>
    /// <param name="resident">The process's resident bytes at <paramref name="now"/>: growth is counted from here.</param>
    public MemoryTrimPolicy(TimeSpan quiet, TimeSpan now, long allocated, long resident)
    {
        _quiet = quiet;
        _lastAt = now;
        _quietSince = now;
        _lastAllocated = allocated;
        _residentAfterTrim = resident;
    }

    /// <summary>Takes a sample (the clock, <c>GC.GetTotalAllocatedBytes</c> and the resident size) and says whether to trim now.</summary>
    public bool Sample(TimeSpan now, long allocated, long resident)
    {
        var elapsed = now - _lastAt;
        if (elapsed <= TimeSpan.Zero)
        {
            return false;
        }

        var rate = (allocated - _lastAllocated) / elapsed.TotalSeconds;
        _lastAt = now;
        _lastAllocated = allocated;
        if (rate > QuietBytesPerSecond)
        {
            _quietSince = now;
            return false;
        }

        // Below the last trim's level (memory the pools let go since): that is the new floor to grow from.
        _residentAfterTrim = Math.Min(_residentAfterTrim, resident);
        return now - _quietSince >= _quiet && resident - _residentAfterTrim >= GrownBytes;
    }

    /// <summary>A trim was made and left <paramref name="resident"/> bytes: the next needs <see cref="GrownBytes"/> more, and another quiet time.</summary>
    public void Trimmed(TimeSpan now, long resident)
    {
        _residentAfterTrim = resident;
        _quietSince = now;
    }
}
