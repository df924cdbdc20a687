namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The shared parts packed for the builds of one mesh graph (<see cref="ResourceInterner.SharedSetsOf"/>), retired
/// together when the producer replaces that graph (<see cref="SnapshotProducer.SetMesh"/>). A new graph's identities
/// join parts of their own (the translator builds a routing's shared part once per graph), so what the old parts
/// saved to version joined lists (<see cref="JoinedVersions"/>: SHA-256 states, a native context each) is freed
/// then, rather than by finalisers whenever the old graph happens to be collected. A build still running on the old
/// graph (a first watch that read it just before the change) is not harmed: it loses the saved states, not a version.
/// </summary>
internal sealed class SharedPartLifetime
{
    private readonly Lock _lock = new();

    // Null once retired. A part is added once, by the build that packs it (once per routing per change).
    private List<SnapshotBuilder.Shared>? _parts = [];

    /// <summary>Keeps <paramref name="part"/>, packed for a build of this graph; retires it at once if the graph was replaced meanwhile.</summary>
    public void Add(SnapshotBuilder.Shared part)
    {
        lock (_lock)
        {
            if (_parts is not null)
            {
                _parts.Add(part);
                return;
            }
        }

        part.Retire();
    }

    /// <summary>Retires every part kept, and every part added from now on.</summary>
    public void Retire()
    {
        List<SnapshotBuilder.Shared>? parts;
        lock (_lock)
        {
            (parts, _parts) = (_parts, null);
        }

        foreach (var part in parts ?? [])
        {
            part.Retire();
        }
    }
}
