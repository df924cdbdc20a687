using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// The meshes that changed while no proxy watched them, and when each must be loaded at the latest. A burst of
/// writes to such a mesh (an API client creating hundreds of nodes before any proxy starts) is then read once per
/// <see cref="ChangeFeedOptions.UnwatchedDelay"/> instead of once per wake-up of the feed: a reload reads every row's
/// stamp and rebuilds and compares the whole graph, so a big mesh reloaded every 250 ms cost the server more CPU per
/// API write than anything it serves (docs/benchmarks.md, issue14r). A mesh leaves the set only once it has been loaded,
/// so a failed load is tried again. Used by the feed's one loop only, so not thread-safe.
/// </summary>
public sealed class DeferredMeshes(TimeProvider clock)
{
    private readonly Dictionary<MeshKey, DateTimeOffset> _due = [];

    public int Count => _due.Count;

    /// <summary>Records a change of a mesh nobody watches; a mesh already waiting keeps its earlier deadline.</summary>
    public void Defer(MeshKey mesh, TimeSpan delay) => _due.TryAdd(mesh, clock.GetUtcNow() + delay);

    /// <summary>The waiting meshes to load now: those due, and those a proxy has started to watch meanwhile.</summary>
    public IReadOnlyList<MeshKey> Ready(Func<MeshKey, bool> watched)
    {
        var now = clock.GetUtcNow();
        return [.. _due.Where(d => d.Value <= now || watched(d.Key)).Select(d => d.Key)];
    }

    /// <summary>Forgets meshes that were loaded (whether they were waiting or not).</summary>
    public void Loaded(IEnumerable<MeshKey> meshes)
    {
        foreach (var mesh in meshes)
        {
            _due.Remove(mesh);
        }
    }

    /// <summary>How long until the first waiting mesh is due (zero when one is overdue), or null when none waits.</summary>
    public TimeSpan? UntilNextDue()
    {
        if (_due.Count == 0)
        {
            return null;
        }

        var left = _due.Values.Min() - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
