namespace Mesh.Model.Graph;

/// <summary>
/// What one build of a mesh's graph parsed, by row, for the next build of the same mesh
/// (<see cref="MeshGraph.Build(IEnumerable{MeshResourceRow}, ParsedRows?, out ParsedRows)"/>): a row whose kind, parent,
/// name, version and spec text are all unchanged gets the very same parsed resource back instead of being parsed
/// again. A reload then parses only what changed, and the graph diff finds every unchanged resource by reference.
/// The spec text is compared as well as the version because a resource deleted and created again starts at
/// version 1 with whatever spec it now has. Immutable: each build returns a new one holding the rows it read, so
/// a deleted resource is forgotten, and two builds of one mesh may run at once.
/// </summary>
public sealed class ParsedRows
{
    private readonly Dictionary<RowKey, Entry> _entries;

    private ParsedRows(Dictionary<RowKey, Entry> entries) => _entries = entries;

    public static ParsedRows Empty { get; } = new([]);

    /// <summary>How many parsed rows it holds.</summary>
    public int Count => _entries.Count;

    /// <summary>The resource parsed from a row equal to this one, if any (and of the expected spec type).</summary>
    internal MeshResource<T>? Find<T>(in MeshResourceRow row) =>
        _entries.TryGetValue(new RowKey(row.Kind, row.ParentName ?? "", row.Name), out var entry)
        && entry.Version == row.Version
        && string.Equals(entry.SpecJson, row.SpecJson, StringComparison.Ordinal)
            ? entry.Resource as MeshResource<T>
            : null;

    private readonly record struct RowKey(string Kind, string Parent, string Name);

    private sealed record Entry(long Version, string SpecJson, object Resource);

    /// <summary>Collects the rows of one build; <see cref="ToParsedRows"/> once it succeeded.</summary>
    internal sealed class Builder
    {
        private readonly Dictionary<RowKey, Entry> _entries = [];

        public void Add<T>(in MeshResourceRow row, MeshResource<T> resource) =>
            _entries[new RowKey(row.Kind, row.ParentName ?? "", row.Name)] = new Entry(row.Version, row.SpecJson, resource);

        public ParsedRows ToParsedRows() => new(_entries);
    }
}
