using Mesh.Model.Graph;

namespace Mesh.XdsServer.Feed;

/// <summary>One resource row of a mesh, by the name the change log gives it (unique in the mesh).</summary>
public readonly record struct RowKey(string Kind, string ParentName, string Name)
{
    public static RowKey Of(MeshResourceRow row) => new(row.Kind, row.ParentName ?? "", row.Name);
}

/// <summary>
/// What the change log says about one mesh for its next read: the rows it named since the mesh's last read, and the
/// snapshot (<c>pg_export_snapshot</c>) the log was read in, which the read must use so that nothing committed between
/// the log's read and the rows' is half seen (<see cref="MeshRowReader"/>).
/// </summary>
public sealed record MeshChanges(string Snapshot, IReadOnlyCollection<RowKey> Rows);
