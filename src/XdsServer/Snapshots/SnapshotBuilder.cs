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
            [TypeUrls.Listener] = Pack(TypeUrls.Listener, resources.Listeners.Select(l => (l.Name, (IMessage)l, false))
                .Concat(resources.OnDemandListeners.Select(l => (l.Name, (IMessage)l, true))), pack),
            [TypeUrls.Route] = Pack(TypeUrls.Route, resources.RouteConfigurations.Select(r => (r.Name, (IMessage)r, false)), pack),
            [TypeUrls.Cluster] = Pack(TypeUrls.Cluster, resources.Clusters.Select(c => (c.Name, (IMessage)c, false))
                .Concat(resources.OnDemandClusters.Select(c => (c.Name, (IMessage)c, true))), pack),
            [TypeUrls.Endpoint] = Pack(TypeUrls.Endpoint, resources.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e, false)), pack),
            [TypeUrls.Secret] = Pack(TypeUrls.Secret, resources.Secrets.Select(s => (s.Name, (IMessage)s, false)), pack),
        });

    private static ResourceSet Pack(string typeUrl, IEnumerable<(string Name, IMessage Message, bool OnDemand)> items, Func<string, string, IMessage, bool, XdsResource> pack) =>
        new(items.Select(i => pack(typeUrl, i.Name, i.Message, i.OnDemand)));
}
