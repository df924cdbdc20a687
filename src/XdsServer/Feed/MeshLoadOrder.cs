using System.Collections.Concurrent;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Keeps the loads of one mesh in order when several may run at once: each load takes a number before it reads the
/// database, and its result is handed on only if no load that started later has handed on its result already (that
/// one read newer rows). Results of one mesh are handed on one at a time, under that mesh's own lock; other
/// meshes, streams and <c>/metrics</c> never wait on it.
/// </summary>
public sealed class MeshLoadOrder
{
    private readonly ConcurrentDictionary<MeshKey, Slot> _slots = new();

    /// <summary>Numbers a load of <paramref name="mesh"/> that is about to read the database.</summary>
    public long Begin(MeshKey mesh) => Interlocked.Increment(ref _slots.GetOrAdd(mesh, _ => new Slot()).Started);

    /// <summary>Runs <paramref name="apply"/> unless a later load of the mesh has applied already; false when it was dropped.</summary>
    public bool TryApply(MeshKey mesh, long ticket, Action apply)
    {
        var slot = _slots.GetOrAdd(mesh, _ => new Slot());
        lock (slot)
        {
            if (ticket < slot.Applied)
            {
                return false;
            }

            slot.Applied = ticket;
            apply();
            return true;
        }
    }

    private sealed class Slot
    {
        public long Started;

        public long Applied;
    }
}
