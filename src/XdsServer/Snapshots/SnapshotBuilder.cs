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
        return new Snapshot(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Listener] = Pack(TypeUrls.Listener, resources.Listeners.Select(l => (l.Name, (IMessage)l, false))
                .Concat(resources.OnDemandListeners.Select(l => (l.Name, (IMessage)l, true))), intern),
            [TypeUrls.Route] = Pack(TypeUrls.Route, resources.RouteConfigurations.Select(r => (r.Name, (IMessage)r, false)), intern),
            [TypeUrls.Cluster] = Pack(TypeUrls.Cluster, resources.Clusters.Select(c => (c.Name, (IMessage)c, false))
                .Concat(resources.OnDemandClusters.Select(c => (c.Name, (IMessage)c, true))), intern),
            [TypeUrls.Endpoint] = Pack(TypeUrls.Endpoint, resources.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e, false)), intern),
            [TypeUrls.Secret] = Pack(TypeUrls.Secret, resources.Secrets.Select(s => (s.Name, (IMessage)s, false)), intern),
        });
    }

    private static ResourceSet Pack(string typeUrl, IEnumerable<(string Name, IMessage Message, bool OnDemand)> items, Func<XdsResource, XdsResource> intern) =>
        new(items.Select(i => intern(XdsResource.Create(typeUrl, i.Name, i.Message, i.OnDemand))));
}
