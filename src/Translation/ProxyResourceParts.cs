using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Mesh.Translation;

/// <summary>
/// The two parts a virtual node's translation was joined from (<see cref="ProxylessOnDemand.TryJoin"/>): the node's
/// own resources (<see cref="Own"/>: its listeners, route configurations, clusters, assignments and secrets, all sent
/// to wildcard subscribers) and the part every node with the same egress routing shares (<see cref="Shared"/>: the
/// routing's route configurations, clusters, assignments and secrets, and the on-demand listeners and clusters of the
/// proxyless names; no listeners of its own), one object for all those nodes. Each of the whole's lists is the two
/// parts' lists of that kind merged by name, and <see cref="ProxylessOnDemand.TryJoin"/> made sure no name is in both.
/// What is done with the shared part alone (checked, packed) may so be done once for every node that shares it; the
/// whole is still every resource, and anything done with the whole gives what it gave.
/// </summary>
public sealed class ProxyResourceParts
{
    private readonly IReadOnlyList<RouteConfiguration> _routes;
    private readonly IReadOnlyList<Cluster> _clusters;
    private readonly IReadOnlyList<ClusterLoadAssignment> _assignments;
    private readonly IReadOnlyList<Secret> _secrets;

    private ProxyResourceParts(
        ProxyResources own,
        ProxyResources shared,
        IReadOnlyList<RouteConfiguration> routes,
        IReadOnlyList<Cluster> clusters,
        IReadOnlyList<ClusterLoadAssignment> assignments,
        IReadOnlyList<Secret> secrets)
    {
        Own = own;
        Shared = shared;
        _routes = routes;
        _clusters = clusters;
        _assignments = assignments;
        _secrets = secrets;
    }

    /// <summary>
    /// <paramref name="own"/> and <paramref name="shared"/> (whose listeners are left out: the node's own are its
    /// listeners) as one translation, with <paramref name="warnings"/>, and with its <see cref="ProxyResources.Parts"/>
    /// when <paramref name="own"/> has no on-demand resources (they are left out too). The caller makes sure no name
    /// of a route configuration, cluster, assignment or secret is in both (<see cref="ProxylessOnDemand.TryJoin"/>).
    /// </summary>
    internal static ProxyResources Join(ProxyResources own, ProxyResources shared, IReadOnlyList<TranslationWarning> warnings, IReadOnlyList<TranslationWarning> proxylessWarnings)
    {
        var routes = Join(own.RouteConfigurations, shared.RouteConfigurations, static r => r.Name);
        // The shared part's wildcard clusters are the routing's: proxyless-only clusters are on demand.
        var clusters = Join(own.Clusters, shared.Clusters, static c => c.Name);
        var assignments = Join(own.ClusterLoadAssignments, shared.ClusterLoadAssignments, static e => e.ClusterName);
        var secrets = Join(own.Secrets, shared.Secrets, static s => s.Name);
        return new ProxyResources(own.Listeners, routes, clusters, assignments, secrets, warnings)
        {
            OnDemandListeners = shared.OnDemandListeners,
            OnDemandClusters = shared.OnDemandClusters,
            ProxylessWarnings = proxylessWarnings,
            Parts = own.OnDemandListeners.Count == 0 && own.OnDemandClusters.Count == 0 && shared.Listeners.Count == 0
                ? new ProxyResourceParts(own, shared, routes, clusters, assignments, secrets)
                : null,
        };
    }

    /// <summary>
    /// The node's own resources and the shared part's in one list by name (ordinal). Both come sorted and no name
    /// is in both (<see cref="ProxylessOnDemand.TryJoin"/> made sure), so they are merged in one pass; with none of
    /// its own, a node shares the part's list itself (the lists are read-only, <see cref="ProxyResources"/>).
    /// </summary>
    private static IReadOnlyList<T> Join<T>(IReadOnlyList<T> own, IReadOnlyList<T> bundled, Func<T, string> nameOf)
    {
        if (own.Count == 0)
        {
            return bundled;
        }

        var all = new List<T>(own.Count + bundled.Count);
        var o = 0;
        var b = 0;
        while (o < own.Count && b < bundled.Count)
        {
            all.Add(OwnFirst(nameOf(own[o]), nameOf(bundled[b])) ? own[o++] : bundled[b++]);
        }

        for (; o < own.Count; o++)
        {
            all.Add(own[o]);
        }

        for (; b < bundled.Count; b++)
        {
            all.Add(bundled[b]);
        }

        return all;
    }

    /// <summary>
    /// Whether the join puts an own resource named <paramref name="own"/> before a shared one named
    /// <paramref name="shared"/> (the shared one first on a tie), which is where the consistency check places problems.
    /// </summary>
    internal static bool OwnFirst(string own, string shared) => string.CompareOrdinal(own, shared) < 0;

    /// <summary>The node's own resources; its on-demand lists are empty.</summary>
    public ProxyResources Own { get; }

    /// <summary>The part shared by every node with the same egress routing; its listener list is empty.</summary>
    public ProxyResources Shared { get; }

    /// <summary>
    /// <paramref name="whole"/>'s parts if it is still the join they were made for: a copy with a list replaced
    /// (<c>with { Clusters = … }</c>, as tests break a translation) is not, and gets null, so it is treated whole.
    /// </summary>
    public static ProxyResourceParts? Of(ProxyResources whole) =>
        whole.Parts is { } parts
        && ReferenceEquals(whole.Listeners, parts.Own.Listeners)
        && ReferenceEquals(whole.RouteConfigurations, parts._routes)
        && ReferenceEquals(whole.Clusters, parts._clusters)
        && ReferenceEquals(whole.ClusterLoadAssignments, parts._assignments)
        && ReferenceEquals(whole.Secrets, parts._secrets)
        && ReferenceEquals(whole.OnDemandListeners, parts.Shared.OnDemandListeners)
        && ReferenceEquals(whole.OnDemandClusters, parts.Shared.OnDemandClusters)
            ? parts
            : null;
}
