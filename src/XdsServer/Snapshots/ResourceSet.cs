using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>The resources of one type in a snapshot, by name.</summary>
public sealed class ResourceSet
{
    public ResourceSet(IEnumerable<XdsResource> resources)
        : this(resources.ToArray())
    {
    }

    /// <summary>Sorts <paramref name="all"/> in place and keeps it: the caller made it for this set and lets it go.</summary>
    private ResourceSet(XdsResource[] all)
    {
        Array.Sort(all, NameOrder);
        All = all;

        // Sorted by name, a repeated name is next to itself: refused here, as adding it to the dictionary refused it.
        for (var i = 1; i < all.Length; i++)
        {
            if (string.Equals(all[i - 1].Name, all[i].Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"An item with the same key has already been added. Key: {all[i].Name}", nameof(all));
            }
        }

        Wildcard = WildcardOf(all);
        AllVersion = Hashing.VersionOf(All);
        WildcardVersion = ReferenceEquals(Wildcard, All) ? AllVersion : Hashing.VersionOf(Wildcard);
    }

    /// <summary>A set of lists already sorted and versioned (<see cref="Join"/>): kept as they are, shared with other sets.</summary>
    private ResourceSet(IReadOnlyList<XdsResource> all, IReadOnlyList<XdsResource> wildcard, string allVersion, string wildcardVersion)
    {
        All = all;
        Wildcard = wildcard;
        AllVersion = allVersion;
        WildcardVersion = wildcardVersion;
    }

    public static ResourceSet Empty { get; } = new([]);

    private static int NameOrder(XdsResource a, XdsResource b) => string.CompareOrdinal(a.Name, b.Name);

    /// <summary>A set of <paramref name="resources"/>, which it sorts in place and keeps (no copy): the caller's array no longer.</summary>
    internal static ResourceSet Owning(XdsResource[] resources) => new(resources);

    /// <summary>
    /// The set of <paramref name="shared"/>'s resources and <paramref name="own"/> (sent to wildcard subscribers), which
    /// it sorts in place: what <see cref="Owning"/> of them all would be, with the shared set's sorted lists merged
    /// rather than sorted again (a node's 4-5 own resources into a part of ~350 that every identity of its routing
    /// shares), and its lists and versions kept as they are when the node has none of this type. Each identity still
    /// gets a set of its own: the set keeps what that identity's streams share (named lists, delta changes).
    /// </summary>
    internal static ResourceSet Join(ResourceSet shared, XdsResource[] own)
    {
        if (own.Length == 0)
        {
            return new(shared.All, shared.Wildcard, shared.AllVersion, shared.WildcardVersion);
        }

        Array.Sort(own, NameOrder);
        if (Merge(own, shared.All) is not { } all)
        {
            return Owning([.. own, .. shared.All]); // a repeated name: refused as it always was
        }

        var versions = shared.JoinedVersions;
        if (ReferenceEquals(shared.Wildcard, shared.All))
        {
            var version = versions.All.VersionOf(own, all);
            return new(all, all, version, version);
        }

        // The shared part's on-demand resources (a proxyless client's listeners and clusters) are not in its wildcard.
        var wildcard = shared.Wildcard.Count == 0 ? own : Merge(own, shared.Wildcard)!;
        return new(all, wildcard, versions.All.VersionOf(own, all), versions.Wildcard.VersionOf(own, wildcard));
    }

    /// <summary>
    /// How lists joined to this set's (<see cref="Join"/>) are versioned: made when a node first joins it (only a
    /// shared part's sets are joined) and kept as long as this set, so what it remembers goes with the part.
    /// </summary>
    private Joins JoinedVersions => Volatile.Read(ref _joins) ?? MakeJoins();

    private Joins MakeJoins()
    {
        var all = new JoinedVersions(All);
        var joins = new Joins(all, ReferenceEquals(Wildcard, All) ? all : new JoinedVersions(Wildcard));

        // Identities joining at once each may make one; all of them then use the first kept.
        return Interlocked.CompareExchange(ref _joins, joins, null) ?? joins;
    }

    /// <summary>
    /// Makes the versioning of lists joined to this set now, before any identity can join it: a shared part's sets
    /// are prepared when packed (<see cref="SnapshotBuilder.Shared"/>), so that <see cref="RetireJoins"/> reaches
    /// every state a join of them saves.
    /// </summary>
    internal void PrepareJoins() => _ = JoinedVersions;

    /// <summary>
    /// Frees what the versioning of lists joined to this set saved (<see cref="JoinedVersions.Retire"/>) and keeps
    /// it from saving more: this is a shared part's set, and the part was replaced (<see cref="SharedPartLifetime"/>).
    /// </summary>
    internal void RetireJoins() => Volatile.Read(ref _joins)?.Retire();

    /// <summary>The hash states the versioning of lists joined to this set saved and holds now, for the tests of their lifetime.</summary>
    internal IReadOnlyList<System.Security.Cryptography.IncrementalHash> SavedHashStates =>
        Volatile.Read(ref _joins) is { } joins
            ? [.. joins.All.SavedStates, .. ReferenceEquals(joins.All, joins.Wildcard) ? [] : joins.Wildcard.SavedStates]
            : [];

    /// <summary><paramref name="own"/> and <paramref name="shared"/> (both sorted, each without a repeated name) in one sorted array; null if a name is in both.</summary>
    private static XdsResource[]? Merge(XdsResource[] own, IReadOnlyList<XdsResource> shared)
    {
        for (var i = 1; i < own.Length; i++)
        {
            if (string.Equals(own[i - 1].Name, own[i].Name, StringComparison.Ordinal))
            {
                return null;
            }
        }

        var all = new XdsResource[own.Length + shared.Count];
        var o = 0;
        var s = 0;
        var next = 0;
        while (o < own.Length && s < shared.Count)
        {
            var order = string.CompareOrdinal(own[o].Name, shared[s].Name);
            if (order == 0)
            {
                return null;
            }

            all[next++] = order < 0 ? own[o++] : shared[s++];
        }

        while (o < own.Length)
        {
            all[next++] = own[o++];
        }

        while (s < shared.Count)
        {
            all[next++] = shared[s++];
        }

        return all;
    }

    /// <summary><paramref name="all"/> itself when it has no on-demand-only resource (nearly always), else those it has not.</summary>
    private static IReadOnlyList<XdsResource> WildcardOf(XdsResource[] all)
    {
        var onDemandOnly = 0;
        foreach (var resource in all)
        {
            onDemandOnly += resource.OnDemandOnly ? 1 : 0;
        }

        if (onDemandOnly == 0)
        {
            return all;
        }

        var wildcard = new XdsResource[all.Length - onDemandOnly];
        var next = 0;
        foreach (var resource in all)
        {
            if (!resource.OnDemandOnly)
            {
                wildcard[next++] = resource;
            }
        }

        return wildcard;
    }

    /// <summary>Every resource, sorted by name (ordinal).</summary>
    public IReadOnlyList<XdsResource> All { get; }

    /// <summary>What a wildcard subscriber receives: everything but on-demand-only resources.</summary>
    public IReadOnlyList<XdsResource> Wildcard { get; }

    /// <summary>
    /// The resources by name, made when a stream first looks one up (a named subscription, a delta stream): a
    /// wildcard SotW stream (LDS and CDS of an Envoy) never does, and a route change built one for every type of
    /// every identity. A plain dictionary: a frozen one analyses its keys when built, which cost more per change than
    /// it saves on the few lookups by name the streams of one identity make.
    /// </summary>
    public IReadOnlyDictionary<string, XdsResource> ByName => Volatile.Read(ref _byName) ?? MakeByName();

    private Dictionary<string, XdsResource> MakeByName()
    {
        var byName = new Dictionary<string, XdsResource>(All.Count, StringComparer.Ordinal);
        foreach (var resource in All)
        {
            byName.Add(resource.Name, resource);
        }

        // Streams of one identity that look up at once each may make one; all of them then use the first kept.
        return Interlocked.CompareExchange(ref _byName, byName, null) ?? byName;
    }

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

    /// <summary>
    /// The delta change to this set, in a snapshot of version <paramref name="systemVersion"/>, for a client that
    /// held all it asked for of a set with content version <paramref name="fromVersion"/> and subscribes as
    /// <paramref name="wildcard"/> and <paramref name="names"/> say, if a stream of this identity made it already
    /// (see <see cref="Protocol.DeltaChange"/>); null otherwise.
    /// </summary>
    internal Protocol.DeltaChange? FindDeltaChange(string fromVersion, bool wildcard, HashSet<string>? names, string systemVersion)
    {
        foreach (var change in Volatile.Read(ref _deltaChanges))
        {
            if (change.Matches(fromVersion, wildcard, names, systemVersion))
            {
                return change;
            }
        }

        return null;
    }

    /// <summary>
    /// Keeps <paramref name="change"/> for the identity's other streams (newest first, at most a few, as
    /// <see cref="Named"/>) and returns it; or returns the one for the same client position that another stream
    /// kept meanwhile, so that streams racing to make it still end up sending one response.
    /// </summary>
    internal Protocol.DeltaChange KeepDeltaChange(Protocol.DeltaChange change)
    {
        while (true)
        {
            var recent = Volatile.Read(ref _deltaChanges);
            foreach (var kept in recent)
            {
                if (kept.SameClientPosition(change))
                {
                    return kept;
                }
            }

            var next = new Protocol.DeltaChange[Math.Min(recent.Length + 1, MaxDeltaChanges)];
            next[0] = change;
            Array.Copy(recent, 0, next, 1, next.Length - 1);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _deltaChanges, next, recent), recent))
            {
                return change;
            }
        }
    }

    /// <summary>
    /// The first response of this set for a client that holds nothing of the type and subscribes as
    /// <paramref name="wildcard"/> and <paramref name="names"/> say, in a snapshot of version
    /// <paramref name="systemVersion"/>, if a stream of this identity made it and it is still alive (see
    /// <see cref="KeepFirstDeltaResponse"/>); null otherwise.
    /// </summary>
    internal Protocol.DeltaChange? FindFirstDeltaResponse(bool wildcard, HashSet<string>? names, string systemVersion)
    {
        foreach (var weak in Volatile.Read(ref _firstResponses))
        {
            if (weak.TryGetTarget(out var first) && first.Matches(Protocol.DeltaChange.FromNothing, wildcard, names, systemVersion, oneResponse: true))
            {
                return first;
            }
        }

        return null;
    }

    /// <summary>
    /// Keeps <paramref name="first"/> for the identity's other streams and returns it, or the one for the same
    /// subscription that another stream kept meanwhile. It is held weakly: the streams that were sent it keep it
    /// until their client answers, which covers a connect burst, and then the encoded response (the whole type, tens
    /// of KB per identity) goes with the next collection instead of living as long as the snapshot.
    /// </summary>
    internal Protocol.DeltaChange KeepFirstDeltaResponse(Protocol.DeltaChange first)
    {
        while (true)
        {
            var recent = Volatile.Read(ref _firstResponses);
            var next = new List<WeakReference<Protocol.DeltaChange>>(MaxDeltaChanges) { new(first) };
            foreach (var weak in recent)
            {
                if (!weak.TryGetTarget(out var kept))
                {
                    continue;
                }

                if (kept.SameClientPosition(first))
                {
                    return kept;
                }

                if (next.Count < MaxDeltaChanges)
                {
                    next.Add(weak);
                }
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _firstResponses, [.. next], recent), recent))
            {
                return first;
            }
        }
    }

    private const int MaxNamedSelections = 4;

    // The streams of one identity come from one or two earlier contents (most from the snapshot before this one)
    // and subscribe alike per type (a wildcard, or the same route names), so a few changes cover them.
    private const int MaxDeltaChanges = 4;

    private Dictionary<string, XdsResource>? _byName;

    private Joins? _joins;

    private Protocol.DeltaChange[] _deltaChanges = [];

    private WeakReference<Protocol.DeltaChange>[] _firstResponses = [];

    private NamedSelection[] _named = [];

    /// <summary>The versioning of lists joined to <see cref="All"/> and to <see cref="Wildcard"/> (one object when they are one list).</summary>
    private sealed record Joins(JoinedVersions All, JoinedVersions Wildcard)
    {
        public void Retire()
        {
            All.Retire();
            Wildcard.Retire();
        }
    }

    /// <summary>The resources of a set that one list of names selects, with their version; shared by the streams that name the same.</summary>
    public sealed record NamedSelection(string[] Names, IReadOnlyList<XdsResource> Resources, string Version);
}
