using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;

namespace Mesh.Translation;

/// <summary>
/// What <see cref="ResourceConsistency"/> needs to know of a translation's shared part
/// (<see cref="ProxyResourceParts.Shared"/>), read once per part and kept for as long as the part lives: its names by
/// kind, what it leaves for a node's own resources to provide (route configurations no on-demand listener names,
/// assignments no cluster of its own claims), and whether it alone could make a problem. <see cref="Admits"/> then
/// checks one node's own resources against it, without reading the part's ~350 resources again: it says yes only
/// when the whole check of the join would find no problem, and no whenever it cannot tell, and then the whole check
/// runs and reports what it always reported.
/// </summary>
internal sealed class SharedPartCheck
{
    private static readonly ConditionalWeakTable<ProxyResources, SharedPartCheck> Checked = new();

    private readonly HashSet<string> _listeners = new(StringComparer.Ordinal);
    private readonly HashSet<string> _routes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcardClusters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _assignments = new(StringComparer.Ordinal);
    private readonly HashSet<string> _secrets = new(StringComparer.Ordinal);
    private readonly HashSet<string> _edsNames = new(StringComparer.Ordinal);

    // Route configurations that use an on-demand cluster: fine for the on-demand listeners that name them, a missing
    // cluster for a wildcard listener (an Envoy's) that would.
    private readonly HashSet<string> _routesUsingOnDemandClusters = new(StringComparer.Ordinal);

    // The part's route configurations none of its listeners names (the routing's: the node's egress listener names
    // them) and its assignments none of its clusters claims: the node's own resources must, or they are problems.
    private readonly List<string> _unnamedRoutes = [];
    private readonly List<string> _unclaimedAssignments = [];

    // False when the part alone has a problem the whole check would report whatever the node adds (an empty or
    // repeated name, a missing cluster or assignment), or one that only the node's resources could mend: the whole
    // check then runs for every node that shares it.
    private readonly bool _sound = true;

    private SharedPartCheck(ProxyResources shared)
    {
        _sound &= Distinct(shared.OnDemandListeners, static l => l.Name, _listeners);
        _sound &= Distinct(shared.RouteConfigurations, static r => r.Name, _routes);
        _sound &= Distinct(shared.Clusters, static c => c.Name, _clusters);
        _sound &= Distinct(shared.OnDemandClusters, static c => c.Name, _clusters);
        _sound &= Distinct(shared.ClusterLoadAssignments, static e => e.ClusterName, _assignments);
        _sound &= Distinct(shared.Secrets, static s => s.Name, _secrets);
        _sound &= shared.Listeners.Count == 0;
        foreach (var cluster in shared.Clusters)
        {
            _wildcardClusters.Add(cluster.Name);
        }

        // On-demand listeners may use any cluster; the route configurations they name are theirs whoever else does.
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listener in shared.OnDemandListeners)
        {
            foreach (var use in ResourceConsistency.UsesOf(listener))
            {
                _sound &= use.What is null ? _routes.Contains(use.Name) : _clusters.Contains(use.Name);
                if (use.What is null)
                {
                    named.Add(use.Name);
                }
            }
        }

        foreach (var config in shared.RouteConfigurations)
        {
            if (!named.Contains(config.Name))
            {
                _unnamedRoutes.Add(config.Name);
            }

            foreach (var use in ResourceConsistency.UsesOf(config))
            {
                if (!_wildcardClusters.Contains(use.Name))
                {
                    _sound &= _clusters.Contains(use.Name);
                    _routesUsingOnDemandClusters.Add(config.Name);
                }
            }
        }

        foreach (var cluster in shared.Clusters.Concat(shared.OnDemandClusters))
        {
            if (EdsNameOf(cluster) is { } name)
            {
                _edsNames.Add(name);
                _sound &= _assignments.Contains(name);
            }
        }

        foreach (var assignment in shared.ClusterLoadAssignments)
        {
            if (!_edsNames.Contains(assignment.ClusterName))
            {
                _unclaimedAssignments.Add(assignment.ClusterName);
            }
        }
    }

    public static SharedPartCheck Of(ProxyResources shared) => Checked.GetValue(shared, static s => new SharedPartCheck(s));

    /// <summary>
    /// True when the whole check of <paramref name="own"/> joined to this part (<see cref="ProxyResourceParts"/>) finds
    /// no problem; false when it may find one. Fills <paramref name="sets"/> with the node's own names (the caller
    /// empties them). Every rule of <see cref="ResourceConsistency"/> is met by the whole exactly when it is met here:
    /// the part's own names, uses and claims were checked when this was made, and below are what the node's own
    /// resources add (their names, their listeners' and route configurations' uses, their clusters' assignments) and
    /// what the part left to them.
    /// </summary>
    public bool Admits(ProxyResources own, ResourceConsistency.NameSets sets)
    {
        if (!_sound
            || !Distinct(own.Listeners, static l => l.Name, sets.Listeners, _listeners)
            || !Distinct(own.RouteConfigurations, static r => r.Name, sets.Routes, _routes)
            || !Distinct(own.Clusters, static c => c.Name, sets.Clusters, _clusters)
            || !Distinct(own.ClusterLoadAssignments, static e => e.ClusterName, sets.Assignments, _assignments)
            || !Distinct(own.Secrets, static s => s.Name, sets.Secrets, _secrets))
        {
            return false;
        }

        // The node's listeners are all wildcard ones (an Envoy's): the clusters they, and the route configurations
        // they name, use must be sent to a wildcard subscriber.
        foreach (var listener in own.Listeners)
        {
            foreach (var use in ResourceConsistency.UsesOf(listener))
            {
                if (use.What is not null)
                {
                    if (!IsWildcardCluster(use.Name, sets))
                    {
                        return false;
                    }
                }
                else if (!sets.Routes.Contains(use.Name) && (!_routes.Contains(use.Name) || _routesUsingOnDemandClusters.Contains(use.Name)))
                {
                    return false;
                }
                else
                {
                    sets.NamedRoutes.Add(use.Name);
                }
            }
        }

        // The part's listeners name none of the node's route configurations (theirs are all the part's, and no name
        // is in both), so the node's own listeners must.
        foreach (var config in own.RouteConfigurations)
        {
            if (!sets.NamedRoutes.Contains(config.Name))
            {
                return false;
            }

            foreach (var use in ResourceConsistency.UsesOf(config))
            {
                if (!IsWildcardCluster(use.Name, sets))
                {
                    return false;
                }
            }
        }

        foreach (var name in _unnamedRoutes)
        {
            if (!sets.NamedRoutes.Contains(name))
            {
                return false;
            }
        }

        foreach (var cluster in own.Clusters)
        {
            if (EdsNameOf(cluster) is { } name)
            {
                if (!sets.Assignments.Contains(name) && !_assignments.Contains(name))
                {
                    return false;
                }

                sets.EdsNames.Add(name);
            }
        }

        foreach (var assignment in own.ClusterLoadAssignments)
        {
            if (!sets.EdsNames.Contains(assignment.ClusterName) && !_edsNames.Contains(assignment.ClusterName))
            {
                return false;
            }
        }

        foreach (var name in _unclaimedAssignments)
        {
            if (!sets.EdsNames.Contains(name))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsWildcardCluster(string name, ResourceConsistency.NameSets sets) => sets.Clusters.Contains(name) || _wildcardClusters.Contains(name);

    /// <summary>The assignment an EDS cluster needs (as the whole check names it), or null for another kind of cluster.</summary>
    private static string? EdsNameOf(Cluster cluster) =>
        cluster.Type != Cluster.Types.DiscoveryType.Eds ? null
        : string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? cluster.Name
        : cluster.EdsClusterConfig.ServiceName;

    /// <summary>Adds each name to <paramref name="seen"/>; false if one is empty, repeated, or among <paramref name="taken"/>.</summary>
    private static bool Distinct<T>(IReadOnlyList<T> items, Func<T, string> nameOf, HashSet<string> seen, HashSet<string>? taken = null)
    {
        foreach (var item in items)
        {
            var name = nameOf(item);
            if (string.IsNullOrEmpty(name) || !seen.Add(name) || taken?.Contains(name) == true)
            {
                return false;
            }
        }

        return true;
    }
}
