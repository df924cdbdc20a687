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

    /// <summary>
    /// Packs through the interner, which serialises a message object shared by several identities once. A node's own
    /// resources joined to a part its routing's nodes share (<see cref="ProxyResourceParts"/>) are packed alone and
    /// merged into that part's sets, which the interner packed and sorted once for all of them (<see cref="Shared"/>).
    /// </summary>
    /// <param name="resources">The translation.</param>
    /// <param name="interner">Packs each message once and the shared parts once.</param>
    /// <param name="lifetime">The graph's shared parts, which a shared part packed by this build joins (the producer retires them with the graph).</param>
    internal static Snapshot Build(ProxyResources resources, ResourceInterner interner, SharedPartLifetime? lifetime = null) =>
        ProxyResourceParts.Of(resources) is { } parts && interner.SharedSetsOf(parts.Shared, lifetime) is { } shared
            ? Join(parts.Own, shared, interner)
            : Build(resources, interner.Pack);

    /// <summary>The sets of a shared part alone, as <see cref="Build(ProxyResources, ResourceInterner)"/> joins a node's own resources to them.</summary>
    internal sealed record Shared(ResourceSet Listeners, ResourceSet Routes, ResourceSet Clusters, ResourceSet Endpoints, ResourceSet Secrets)
    {
        /// <summary>The part packed into its sets; null if a name repeats in it (the whole is then built as before, and refused the same way).</summary>
        public static Shared? Of(ProxyResources part, ResourceInterner interner)
        {
            Shared shared;
            try
            {
                shared = new(
                    Pack(TypeUrls.Listener, part.Listeners, part.OnDemandListeners, static l => l.Name, interner.Pack),
                    Pack(TypeUrls.Route, part.RouteConfigurations, [], static r => r.Name, interner.Pack),
                    Pack(TypeUrls.Cluster, part.Clusters, part.OnDemandClusters, static c => c.Name, interner.Pack),
                    Pack(TypeUrls.Endpoint, part.ClusterLoadAssignments, [], static e => e.ClusterName, interner.Pack),
                    Pack(TypeUrls.Secret, part.Secrets, [], static s => s.Name, interner.Pack));
            }
            catch (ArgumentException)
            {
                return null;
            }

            // Versioned for joins before any identity can join it, so that its retirement reaches every saved state.
            foreach (var set in shared.Sets)
            {
                set.PrepareJoins();
            }

            return shared;
        }

        /// <summary>Frees what joining these sets saved (<see cref="ResourceSet.RetireJoins"/>): the part was replaced.</summary>
        public void Retire()
        {
            foreach (var set in Sets)
            {
                set.RetireJoins();
            }
        }

        private ResourceSet[] Sets => [Listeners, Routes, Clusters, Endpoints, Secrets];
    }

    private static Snapshot Join(ProxyResources own, Shared shared, ResourceInterner interner) =>
        new(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Listener] = ResourceSet.Join(shared.Listeners, PackOwn(TypeUrls.Listener, own.Listeners, static l => l.Name, interner)),
            [TypeUrls.Route] = ResourceSet.Join(shared.Routes, PackOwn(TypeUrls.Route, own.RouteConfigurations, static r => r.Name, interner)),
            [TypeUrls.Cluster] = ResourceSet.Join(shared.Clusters, PackOwn(TypeUrls.Cluster, own.Clusters, static c => c.Name, interner)),
            [TypeUrls.Endpoint] = ResourceSet.Join(shared.Endpoints, PackOwn(TypeUrls.Endpoint, own.ClusterLoadAssignments, static e => e.ClusterName, interner)),
            [TypeUrls.Secret] = ResourceSet.Join(shared.Secrets, PackOwn(TypeUrls.Secret, own.Secrets, static s => s.Name, interner)),
        });

    private static XdsResource[] PackOwn<T>(string typeUrl, IReadOnlyList<T> own, Func<T, string> nameOf, ResourceInterner interner)
        where T : IMessage
    {
        if (own.Count == 0)
        {
            return [];
        }

        var packed = new XdsResource[own.Count];
        for (var i = 0; i < own.Count; i++)
        {
            packed[i] = interner.Pack(typeUrl, nameOf(own[i]), own[i], false);
        }

        return packed;
    }

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
