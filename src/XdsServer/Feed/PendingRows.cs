using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// The rows the change log named for each mesh since that mesh's last load, gathered over catch-ups (a mesh left
/// for later in <see cref="DeferredMeshes"/> keeps gathering them) and handed to its next read
/// (<see cref="MeshChanges"/>). Used by the feed's one loop only.
/// </summary>
public sealed class PendingRows
{
    private readonly Dictionary<MeshKey, HashSet<RowKey>> _rows = [];

    /// <summary>Records that the log named <paramref name="row"/> of <paramref name="mesh"/>.</summary>
    public void Add(MeshKey mesh, RowKey row) => Rows(mesh).Add(row);

    /// <summary>Records that <paramref name="mesh"/> must be read though no row of it was named (its Cloud Map registry changed).</summary>
    public void Touch(MeshKey mesh) => Rows(mesh);

    /// <summary>What the mesh's next read must read, in the snapshot the log was read in.</summary>
    public MeshChanges For(MeshKey mesh, string snapshot) =>
        new(snapshot, _rows.TryGetValue(mesh, out var rows) ? [.. rows] : []);

    /// <summary>The meshes were read: what was named for them is in their rows now.</summary>
    public void Loaded(IEnumerable<MeshKey> meshes)
    {
        foreach (var mesh in meshes)
        {
            _rows.Remove(mesh);
        }
    }

    /// <summary>Forgets everything (the next read of every mesh is a full reload, which needs none of it).</summary>
    public void Clear() => _rows.Clear();

    private HashSet<RowKey> Rows(MeshKey mesh)
    {
        if (!_rows.TryGetValue(mesh, out var rows))
        {
            rows = [];
            _rows[mesh] = rows;
        }

        return rows;
    }
}
