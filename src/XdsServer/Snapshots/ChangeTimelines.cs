namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The last few mesh changes' timelines (<see cref="ChangeTimeline"/>), newest last, for <c>GET /change-timelines</c>.
/// Only changes that rebuilt something are kept; a fixed number, so what it holds does not grow with the changes.
/// </summary>
public sealed class ChangeTimelines(int kept = ChangeTimelines.DefaultKept)
{
    public const int DefaultKept = 16;

    private readonly Lock _lock = new();
    private readonly Queue<ChangeTimeline> _changes = new();

    internal void Add(ChangeTimeline change)
    {
        lock (_lock)
        {
            _changes.Enqueue(change);
            while (_changes.Count > kept)
            {
                _changes.Dequeue();
            }
        }
    }

    /// <summary>The changes kept, oldest first.</summary>
    public IReadOnlyList<ChangeTimeline> Recent()
    {
        lock (_lock)
        {
            return [.. _changes];
        }
    }
}
