namespace Mesh.XdsServer.Snapshots;

/// <summary>A translated configuration refers to resources it does not contain (or contains unreachable ones).</summary>
public sealed class InconsistentSnapshotException(IReadOnlyList<string> errors)
    : Exception("The snapshot is inconsistent: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
