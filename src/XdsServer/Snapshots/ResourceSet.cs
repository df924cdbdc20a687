using System.Collections.Frozen;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>The resources of one type in a snapshot, by name.</summary>
public sealed class ResourceSet
{
    public ResourceSet(IEnumerable<XdsResource> resources)
    {
        All = resources.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        ByName = All.ToFrozenDictionary(r => r.Name, StringComparer.Ordinal);
        Wildcard = All.Where(r => !r.OnDemandOnly).ToArray();
    }

    public static ResourceSet Empty { get; } = new([]);

    /// <summary>Every resource, sorted by name (ordinal).</summary>
    public IReadOnlyList<XdsResource> All { get; }

    /// <summary>What a wildcard subscriber receives: everything but on-demand-only resources.</summary>
    public IReadOnlyList<XdsResource> Wildcard { get; }

    public FrozenDictionary<string, XdsResource> ByName { get; }

    public int Count => All.Count;
}
