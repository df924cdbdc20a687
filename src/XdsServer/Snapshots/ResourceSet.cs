using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>The resources of one type in a snapshot, by name.</summary>
public sealed class ResourceSet
{
    public ResourceSet(IEnumerable<XdsResource> resources)
    {
        var all = resources.ToArray();
        Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        All = all;

        // A plain dictionary: a frozen one analyses its keys when built, which cost more per change (a set per type
        // per identity) than it saves on the few lookups by name the streams of one identity make.
        var byName = new Dictionary<string, XdsResource>(all.Length, StringComparer.Ordinal);
        foreach (var resource in all)
        {
            byName.Add(resource.Name, resource); // Throws on a duplicate name, as the frozen one did.
        }

        ByName = byName;
        var wildcard = All.Where(r => !r.OnDemandOnly).ToArray();
        Wildcard = wildcard.Length == All.Count ? All : wildcard;
        AllVersion = Hashing.VersionOf(All);
        WildcardVersion = ReferenceEquals(Wildcard, All) ? AllVersion : Hashing.VersionOf(Wildcard);
    }

    public static ResourceSet Empty { get; } = new([]);

    /// <summary>Every resource, sorted by name (ordinal).</summary>
    public IReadOnlyList<XdsResource> All { get; }

    /// <summary>What a wildcard subscriber receives: everything but on-demand-only resources.</summary>
    public IReadOnlyList<XdsResource> Wildcard { get; }

    public IReadOnlyDictionary<string, XdsResource> ByName { get; }

    /// <summary>
    /// The <see cref="Hashing.VersionOf(IReadOnlyList{XdsResource})"/> of <see cref="All"/>, and of
    /// <see cref="Wildcard"/>: computed once here, since every wildcard stream of every proxy that shares this
    /// snapshot sends (or compares) exactly that version.
    /// </summary>
    public string AllVersion { get; }

    /// <inheritdoc cref="AllVersion"/>
    public string WildcardVersion { get; }

    public int Count => All.Count;
}
