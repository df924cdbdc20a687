namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One copy of each distinct run of a node's <c>extensions</c> that streams remember (<see cref="StreamNodeMemo"/>):
/// every proxy of an Envoy build sends the same ~48 KB of them, so the streams share a copy instead of each keeping
/// its own (the memory per idle proxy is the target here). A copy lives as long as a stream's memo holds it (a weak
/// reference); dead ones are dropped now and then. Runs are found by their length and then compared whole; at most
/// <see cref="PerLength"/> live runs of one length are kept, so that nodes crafted to differ cannot make each new
/// stream compare against many: a run beyond them is not shared, and its streams read their node in full each time.
/// </summary>
internal sealed class SharedExtensions
{
    private const int PerLength = 8;
    private const int SweepEvery = 256;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<WeakReference<byte[]>>> _byLength = [];
    private int _addedSinceSweep;

    /// <summary>Distinct runs held now (some may be dead until the next sweep).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byLength.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>The shared copy of <paramref name="run"/> (made now if there is none), or null when none is kept.</summary>
    public byte[]? Share(ReadOnlySpan<byte> run)
    {
        if (run.IsEmpty)
        {
            return [];
        }

        lock (_lock)
        {
            if (!_byLength.TryGetValue(run.Length, out var copies))
            {
                _byLength[run.Length] = copies = [];
            }

            var live = 0;
            foreach (var copy in copies)
            {
                if (copy.TryGetTarget(out var held))
                {
                    if (held.AsSpan().SequenceEqual(run))
                    {
                        return held;
                    }

                    live++;
                }
            }

            if (live >= PerLength)
            {
                return null;
            }

            var made = run.ToArray();
            copies.Add(new WeakReference<byte[]>(made));
            if (++_addedSinceSweep >= SweepEvery)
            {
                Sweep();
            }

            return made;
        }
    }

    private void Sweep()
    {
        _addedSinceSweep = 0;
        foreach (var (length, copies) in _byLength)
        {
            copies.RemoveAll(c => !c.TryGetTarget(out _));
            if (copies.Count == 0)
            {
                _byLength.Remove(length);
            }
        }
    }
}
