using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Mesh.Translation;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// Keeps one instance of each distinct resource (type, name, content version), so that a cluster shared by many
/// proxy identities is held, and packed, once. Thread-safe: snapshots of several identities are built at once.
/// </summary>
internal sealed class ResourceInterner
{
    private volatile ConcurrentDictionary<(string Type, string Name, string Version, bool OnDemand), XdsResource> _resources = new();

    // The resource each message was packed into, for as long as the message lives. The translator shares messages
    // between identities (a graph's proxyless resources), so a message seen before is not serialised and hashed again.
    private readonly ConditionalWeakTable<IMessage, XdsResource> _packed = new();

    // Each shared part of a translation (ProxyResourceParts.Shared: ~350 resources every node of a routing has) packed
    // into its sets once, for as long as the part lives; the identities that join it pack only their own resources.
    private readonly ConditionalWeakTable<ProxyResources, SharedSets> _sharedSets = new();

    public int Count => _resources.Count;

    /// <summary>
    /// The sets of a translation's shared part, packed through this interner once; null if a name repeats in it. The
    /// build that packs them hands them to <paramref name="lifetime"/>, its graph's, which retires them with the graph.
    /// </summary>
    public SnapshotBuilder.Shared? SharedSetsOf(ProxyResources part, SharedPartLifetime? lifetime = null) =>
        _sharedSets.TryGetValue(part, out var sets) ? sets.Sets : Pack(part, lifetime);

    // Apart from SharedSetsOf, whose every call (once per identity) would otherwise allocate this one's closure.
    private SnapshotBuilder.Shared? Pack(ProxyResources part, SharedPartLifetime? lifetime)
    {
        // Identities packing the part at once each make sets, and one is kept: only that one is ever joined.
        var made = new SharedSets(SnapshotBuilder.Shared.Of(part, this));
        var kept = _sharedSets.GetValue(part, _ => made);
        if (ReferenceEquals(kept, made) && made.Sets is { } packed)
        {
            lifetime?.Add(packed);
        }

        return kept.Sets;
    }

    public XdsResource Intern(XdsResource resource) =>
        _resources.GetOrAdd((resource.TypeUrl, resource.Name, resource.Version, resource.OnDemandOnly), resource);

    /// <summary>The interned resource of a message: packed once per message object, then looked up by reference.</summary>
    public XdsResource Pack(string typeUrl, string name, IMessage message, bool onDemandOnly)
    {
        if (_packed.TryGetValue(message, out var packed)
            && packed.OnDemandOnly == onDemandOnly && packed.Name == name && packed.TypeUrl == typeUrl)
        {
            return packed;
        }

        packed = Intern(XdsResource.Create(typeUrl, name, message, onDemandOnly));
        _packed.AddOrUpdate(message, packed);
        return packed;
    }

    /// <summary>
    /// Forgets every resource that no live snapshot holds any more. A build running meanwhile may lose the sharing
    /// of what it interned just before the swap; its snapshot is still whole, only not deduplicated.
    /// </summary>
    public void Retain(IEnumerable<Snapshot> live)
    {
        // Identities share most resource instances: find the distinct ones by reference first, so that the keys
        // (three strings and a flag, hashed in full) are hashed once per resource, not once per snapshot holding it.
        var distinct = new HashSet<XdsResource>(ReferenceEqualityComparer.Instance);
        foreach (var snapshot in live)
        {
            foreach (var set in snapshot.ByType.Values)
            {
                foreach (var r in set.All)
                {
                    distinct.Add(r);
                }
            }
        }

        var kept = new ConcurrentDictionary<(string, string, string, bool), XdsResource>();
        foreach (var r in distinct)
        {
            kept[(r.TypeUrl, r.Name, r.Version, r.OnDemandOnly)] = r;
        }

        _resources = kept;
    }

    /// <summary>A shared part's sets, or null (kept so, too: the table holds no null).</summary>
    private sealed record SharedSets(SnapshotBuilder.Shared? Sets);
}
