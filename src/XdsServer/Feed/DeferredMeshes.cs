using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// The meshes that changed while no proxy watched them, and when each must be loaded at the latest. A burst of
/// writes to such a mesh (an API client creating hundreds of nodes before any proxy starts) is then read once per
/// <see cref="ChangeFeedOptions.UnwatchedDelay"/> instead of once per wake-up of the feed: a reload reads every row's
/// stamp and rebuilds and compares the whole graph, so a big mesh reloaded every 250 ms cost the server more CPU per
/// API write than anything it serves (docs/benchmarks.md, issue14r). A mesh leaves the set only once it has been loaded,
/// so a failed load is tried again. Deadlines are kept on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>):
/// the feed's timers run on it, so a step of the wall clock neither holds a mesh past its delay nor loads it early.
/// Changed by the feed's one loop; <see cref="IsWaiting"/> is also asked from the streams' threads, hence the lock.
/// </summary>
public sealed class DeferredMeshes(TimeProvider clock)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<MeshKey, long> _due = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _due.Count;
            }
        }
    }

    /// <summary>Records a change of a mesh nobody watches; a mesh already waiting keeps its earlier deadline.</summary>
    public void Defer(MeshKey mesh, TimeSpan delay)
    {
        var due = clock.GetTimestamp() + (long)(delay.Ticks * (clock.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        lock (_lock)
        {
            _due.TryAdd(mesh, due);
        }
    }

    /// <summary>Whether a change of the mesh waits to be loaded (a proxy that starts to watch it should wake the feed).</summary>
    public bool IsWaiting(MeshKey mesh)
    {
        lock (_lock)
        {
            return _due.ContainsKey(mesh);
        }
    }

    /// <summary>The waiting meshes to load now: those due, and those a proxy has started to watch meanwhile.</summary>
    public IReadOnlyList<MeshKey> Ready(Func<MeshKey, bool> watched)
    {
        var now = clock.GetTimestamp();
        KeyValuePair<MeshKey, long>[] waiting;
        lock (_lock)
        {
            waiting = [.. _due];
        }

        // Asked outside the lock: the cache takes its own.
        return [.. waiting.Where(d => d.Value <= now || watched(d.Key)).Select(d => d.Key)];
    }

    /// <summary>Forgets meshes that were loaded (whether they were waiting or not).</summary>
    public void Loaded(IEnumerable<MeshKey> meshes)
    {
        lock (_lock)
        {
            foreach (var mesh in meshes)
            {
                _due.Remove(mesh);
            }
        }
    }

    /// <summary>How long until the first waiting mesh is due (zero when one is overdue), or null when none waits.</summary>
    public TimeSpan? UntilNextDue()
    {
        long first;
        lock (_lock)
        {
            if (_due.Count == 0)
            {
                return null;
            }

            first = _due.Values.Min();
        }

        var now = clock.GetTimestamp();
        return first > now ? clock.GetElapsedTime(now, first) : TimeSpan.Zero;
    }
}
