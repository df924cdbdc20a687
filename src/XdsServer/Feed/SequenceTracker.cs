namespace Mesh.XdsServer.Feed;

/// <summary>
/// Which change-log rows have been applied. Sequence numbers are handed out when a transaction inserts its row,
/// not when it commits, so a later number can become visible before an earlier one. A plain "last seq" would skip
/// the earlier row forever. This tracker keeps a watermark below which everything is accounted for, the numbers
/// applied above it, and the holes between them; a hole is given up only after <c>gapTimeout</c> (a transaction
/// that rolled back leaves a hole that never fills).
/// </summary>
public sealed class SequenceTracker(TimeSpan gapTimeout, TimeProvider clock)
{
    private readonly SortedSet<long> _applied = [];
    private readonly Dictionary<long, DateTimeOffset> _holes = [];

    /// <summary>Every change with a sequence number at or below this has been applied or given up.</summary>
    public long Watermark { get; private set; }

    public int Holes => _holes.Count;

    /// <summary>
    /// Starts from <paramref name="max"/>, the largest number at load time. Numbers in the window below it that
    /// were not visible then (<paramref name="present"/> lists those that were) may belong to transactions still in
    /// flight, so they are treated as holes.
    /// </summary>
    public void Start(long max, IEnumerable<long> present, long window)
    {
        _applied.Clear();
        _holes.Clear();
        var floor = Math.Max(0, max - window);
        Watermark = floor;
        var seen = present.ToHashSet();
        for (var seq = floor + 1; seq <= max; seq++)
        {
            if (seen.Contains(seq))
            {
                _applied.Add(seq);
            }
            else
            {
                _holes[seq] = clock.GetUtcNow();
            }
        }

        Advance();
    }

    /// <summary>True when <paramref name="seq"/> has not been applied (nor given up); records nothing.</summary>
    public bool IsNew(long seq) => seq > Watermark && !_applied.Contains(seq);

    /// <summary>True when <paramref name="seq"/> is new and must be applied; records it as applied.</summary>
    public bool TryApply(long seq)
    {
        if (seq <= Watermark || !_applied.Add(seq))
        {
            return false;
        }

        var top = _applied.Max;
        _holes.Remove(seq);
        for (var s = Watermark + 1; s < top; s++)
        {
            if (!_applied.Contains(s))
            {
                _holes.TryAdd(s, clock.GetUtcNow());
            }
        }

        return true;
    }

    /// <summary>Moves the watermark over applied numbers and over holes older than the timeout; returns the holes given up.</summary>
    public IReadOnlyList<long> Advance()
    {
        var skipped = new List<long>();
        var now = clock.GetUtcNow();
        while (true)
        {
            var next = Watermark + 1;
            if (_applied.Remove(next))
            {
                Watermark = next;
            }
            else if (_holes.TryGetValue(next, out var since) && now - since >= gapTimeout)
            {
                _holes.Remove(next);
                skipped.Add(next);
                Watermark = next;
            }
            else
            {
                return skipped;
            }
        }
    }
}
