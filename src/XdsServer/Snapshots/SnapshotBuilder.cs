using Google.Protobuf;
using Mesh.Translation;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// Serialises a translation into a snapshot: each resource packed once, versioned by a hash of its bytes and
/// interned, so that a resource shared by many identities is held once. It checks nothing: the producer runs
/// <see cref="ResourceConsistency"/> first, and only a consistent translation reaches this point.
/// </summary>
public static class SnapshotBuilder
{
    public static Snapshot Build(ProxyResources resources, Func<XdsResource, XdsResource>? intern = null)
    {
        intern ??= r => r;
        return Build(resources, (typeUrl, name, message, onDemand) => intern(XdsResource.Create(typeUrl, name, message, onDemand)));
    }

    /// <summary>Packs through the interner, which serialises a message object shared by several identities once.</summary>
    internal static Snapshot Build(ProxyResources resources, ResourceInterner interner) => Build(resources, interner.Pack);

    private static Snapshot Build(ProxyResources resources, Func<string, string, IMessage, bool, XdsResource> pack) =>
        new(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Listener] = Pack(TypeUrls.Listener, resources.Listeners, resources.OnDemandListeners, static l => l.Name, pack),
            [TypeUrls.Route] = Pack(TypeUrls.Route, resources.RouteConfigurations, [], static r => r.Name, pack),
            [TypeUrls.Cluster] = Pack(TypeUrls.Cluster, resources.Clusters, resources.OnDemandClusters, static c => c.Name, pack),
            [TypeUrls.Endpoint] = Pack(TypeUrls.Endpoint, resources.ClusterLoadAssignments, [], static e => e.ClusterName, pack),
            [TypeUrls.Secret] = Pack(TypeUrls.Secret, resources.Secrets, [], static s => s.Name, pack),
        });

    /// <summary>
    /// Packs the resources sent to every subscriber, then those sent only to a client that names them, into one array
    /// of their exact count, which the set sorts and keeps (one array per type per identity, none grown and thrown away).
    /// </summary>
    private static ResourceSet Pack<T>(string typeUrl, IReadOnlyList<T> wildcard, IReadOnlyList<T> onDemandOnly, Func<T, string> nameOf, Func<string, string, IMessage, bool, XdsResource> pack)
        where T : IMessage
    {
        var packed = new XdsResource[wildcard.Count + onDemandOnly.Count];
        for (var i = 0; i < wildcard.Count; i++)
        {
            packed[i] = pack(typeUrl, nameOf(wildcard[i]), wildcard[i], false);
        }

        for (var i = 0; i < onDemandOnly.Count; i++)
        {
            packed[wildcard.Count + i] = pack(typeUrl, nameOf(onDemandOnly[i]), onDemandOnly[i], true);
        }

        return ResourceSet.Owning(packed);
    }
}
