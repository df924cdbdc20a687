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

    /// <summary>
    /// What a client that names <paramref name="names"/> (distinct, ordinal order, no <c>*</c>) gets of this set, in
    /// name order, and its <see cref="Hashing.VersionOf(IReadOnlyList{XdsResource})"/>. The streams of every proxy
    /// of one identity share this set and nearly always name the same resources (RDS: the route configurations their
    /// listeners use; EDS: their clusters), so the list and its version are made once per distinct name list and
    /// then shared: a route change used to give each stream its own list and its own SHA-256 of it, which lived
    /// until the next change and so was promoted into gen2 on every stream at every change.
    /// </summary>
    public NamedSelection Named(string[] names)
    {
        var recent = Volatile.Read(ref _named);
        foreach (var selection in recent)
        {
            if (selection.Names.AsSpan().SequenceEqual(names))
            {
                return selection;
            }
        }

        var resources = new List<XdsResource>(names.Length);
        foreach (var name in names)
        {
            if (ByName.GetValueOrDefault(name) is { } resource)
            {
                resources.Add(resource);
            }
        }

        var made = new NamedSelection(names, resources, Hashing.VersionOf(resources));

        // Newest first, at most a few: the lists of one identity's proxies are one or two. Two streams that make the
        // same list at once each keep their own, which is only a lost chance to share.
        var kept = new NamedSelection[Math.Min(recent.Length + 1, MaxNamedSelections)];
        kept[0] = made;
        Array.Copy(recent, 0, kept, 1, kept.Length - 1);
        Volatile.Write(ref _named, kept);
        return made;
    }

    /// <summary>The version of <paramref name="resources"/> when it is this set's wildcard list or one of its shared named lists; else null.</summary>
    public string? SharedVersionOf(IReadOnlyList<XdsResource> resources)
    {
        if (ReferenceEquals(resources, Wildcard))
        {
            return WildcardVersion;
        }

        foreach (var selection in Volatile.Read(ref _named))
        {
            if (ReferenceEquals(selection.Resources, resources))
            {
                return selection.Version;
            }
        }

        return null;
    }

    private const int MaxNamedSelections = 4;

    private NamedSelection[] _named = [];

    /// <summary>The resources of a set that one list of names selects, with their version; shared by the streams that name the same.</summary>
    public sealed record NamedSelection(string[] Names, IReadOnlyList<XdsResource> Resources, string Version);
}
