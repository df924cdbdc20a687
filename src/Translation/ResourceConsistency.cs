using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using System.Runtime.CompilerServices;

namespace Mesh.Translation;

/// <summary>
/// The snapshot consistency rule (go-control-plane's <c>Consistent()</c>, made stricter), the one check the xDS
/// server runs on every translation before anyone can see it: every resource has a name, unique within its type
/// (a listener served on demand counts as a listener); every route config a listener names exists, and every
/// route config is named by some listener; every cluster a route (in RDS or inline), TCP proxy or tracer names
/// exists, and is one sent to wildcard subscribers unless only on-demand listeners use it; every EDS cluster has
/// its ClusterLoadAssignment, and every assignment belongs to an EDS cluster.
/// Returns every problem, in a stable order, or none. What each listener and route configuration names is read
/// once per message object and remembered, so a message must not change after it was checked (the translator's
/// never do: <see cref="ProxyResources"/>).
/// </summary>
public static class ResourceConsistency
{
    private static readonly ConditionalWeakTable<Listener, Use[]> ListenerUses = new();
    private static readonly ConditionalWeakTable<RouteConfiguration, Use[]> RouteConfigUses = new();

    public static IReadOnlyList<string> Check(ProxyResources resources)
    {
        // The name sets are a thread's own and emptied after each check, not made per call: an identity's check
        // hashes ~400 names into a dozen sets, and 200 identities of one route change made them anew each time.
        var sets = kept ?? new NameSets();
        kept = null;
        try
        {
            // A node's own resources joined to a part shared by the nodes of its egress routing (~350 resources, 4-5
            // its own): the shared part is read once (SharedPartCheck), and a node whose own resources it shows cannot
            // make a problem is done. Anything else gets the whole check, so the problems and their order are its.
            if (ProxyResourceParts.Of(resources) is { } parts && SharedPartCheck.Of(parts.Shared).Admits(parts.Own, sets))
            {
                return [];
            }

            sets.Clear();
            return Check(resources, sets);
        }
        finally
        {
            sets.Clear();
            kept = sets;
        }
    }

    [ThreadStatic]
    private static NameSets? kept;

    private static List<string> Check(ProxyResources resources, NameSets sets)
    {
        var problems = new List<string>();
        var listeners = (First: resources.Listeners, Then: resources.OnDemandListeners);
        var clusters = (First: resources.Clusters, Then: resources.OnDemandClusters);
        CheckNames("listener", listeners, l => l.Name, sets.Listeners, problems);
        var routeNames = CheckNames("route config", (resources.RouteConfigurations, []), r => r.Name, sets.Routes, problems);
        var clusterNames = CheckNames("cluster", clusters, c => c.Name, sets.Clusters, problems);
        var assignments = CheckNames("EDS assignment", (resources.ClusterLoadAssignments, []), c => c.ClusterName, sets.Assignments, problems);
        CheckNames("secret", (resources.Secrets, []), s => s.Name, sets.Secrets, problems);
        var namedRoutes = sets.NamedRoutes;

        // An Envoy subscribes to CDS as a wildcard, so what its own listeners use must be among the wildcard clusters;
        // only the on-demand (proxyless) listeners may use on-demand clusters, which a client gets by naming them.
        var wildcardClusterNames = Names(resources.Clusters, c => c.Name, sets.WildcardClusters);
        var onDemandListeners = sets.OnDemandListeners;
        foreach (var listener in resources.OnDemandListeners)
        {
            onDemandListeners.Add(listener);
        }

        var routesOfWildcardListeners = sets.RoutesOfWildcardListeners;
        foreach (var listener in All(listeners))
        {
            var onDemand = onDemandListeners.Contains(listener);
            var usable = onDemand ? clusterNames : wildcardClusterNames;
            foreach (var use in UsesOf(listener))
            {
                if (use.What is null)
                {
                    namedRoutes.Add(use.Name);
                    if (!onDemand)
                    {
                        routesOfWildcardListeners.Add(use.Name);
                    }

                    if (!routeNames.Contains(use.Name))
                    {
                        problems.Add($"listener {listener.Name}: route config {use.Name} is missing");
                    }
                }
                else if (!usable.Contains(use.Name))
                {
                    problems.Add($"{use.Where}: {use.What} {use.Name} is missing");
                }
            }
        }

        foreach (var config in resources.RouteConfigurations)
        {
            if (!namedRoutes.Contains(config.Name))
            {
                problems.Add($"route config {config.Name} is named by no listener");
            }

            var usable = routesOfWildcardListeners.Contains(config.Name) ? wildcardClusterNames : clusterNames;
            foreach (var use in UsesOf(config))
            {
                if (!usable.Contains(use.Name))
                {
                    problems.Add($"{use.Where}: {use.What} {use.Name} is missing");
                }
            }
        }

        var edsNames = sets.EdsNames;
        foreach (var cluster in All(clusters))
        {
            if (cluster.Type != Cluster.Types.DiscoveryType.Eds)
            {
                continue;
            }

            var name = string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? cluster.Name : cluster.EdsClusterConfig.ServiceName;
            edsNames.Add(name);
            if (!assignments.Contains(name))
            {
                problems.Add($"cluster {cluster.Name}: EDS assignment {name} is missing");
            }
        }

        List<string>? orphans = null;
        foreach (var name in assignments)
        {
            if (!edsNames.Contains(name))
            {
                (orphans ??= []).Add(name);
            }
        }

        orphans?.Sort(StringComparer.Ordinal);
        foreach (var name in orphans ?? [])
        {
            problems.Add($"EDS assignment {name} belongs to no EDS cluster");
        }

        return problems;
    }

    /// <summary>
    /// Reports an empty or repeated name among <paramref name="items"/>' and returns the set of all of them (the
    /// empty name too, when one has it), which the rest of the check looks names up in.
    /// </summary>
    private static HashSet<string> CheckNames<T>(string kind, (IReadOnlyList<T> First, IReadOnlyList<T> Then) items, Func<T, string> nameOf, HashSet<string> seen, List<string> problems)
    {
        var empty = false;
        foreach (var item in All(items))
        {
            var name = nameOf(item);
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"a {kind} has no name");
                empty = true;
            }
            else if (!seen.Add(name))
            {
                problems.Add($"{kind} {name} appears more than once");
            }
        }

        if (empty)
        {
            seen.Add(string.Empty);
        }

        return seen;
    }

    private static HashSet<string> Names<T>(IReadOnlyList<T> items, Func<T, string> nameOf, HashSet<string> names)
    {
        foreach (var item in items)
        {
            names.Add(nameOf(item));
        }

        return names;
    }

    private static IEnumerable<T> All<T>((IReadOnlyList<T> First, IReadOnlyList<T> Then) lists)
    {
        for (var i = 0; i < lists.First.Count; i++)
        {
            yield return lists.First[i];
        }

        for (var i = 0; i < lists.Then.Count; i++)
        {
            yield return lists.Then[i];
        }
    }

    /// <summary>The sets one check fills, kept by a thread between checks and emptied after each (their capacity kept).</summary>
    internal sealed class NameSets
    {
        public HashSet<string> Listeners { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Routes { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Clusters { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Assignments { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Secrets { get; } = new(StringComparer.Ordinal);

        public HashSet<string> WildcardClusters { get; } = new(StringComparer.Ordinal);

        public HashSet<Listener> OnDemandListeners { get; } = new(ReferenceEqualityComparer.Instance);

        public HashSet<string> NamedRoutes { get; } = new(StringComparer.Ordinal);

        public HashSet<string> RoutesOfWildcardListeners { get; } = new(StringComparer.Ordinal);

        public HashSet<string> EdsNames { get; } = new(StringComparer.Ordinal);

        public void Clear()
        {
            Listeners.Clear();
            Routes.Clear();
            Clusters.Clear();
            Assignments.Clear();
            Secrets.Clear();
            WildcardClusters.Clear();
            OnDemandListeners.Clear();
            NamedRoutes.Clear();
            RoutesOfWildcardListeners.Clear();
            EdsNames.Clear();
        }
    }

    /// <summary>
    /// What a listener names, in the order its filters name them: route configs (<see cref="Use.What"/> null) and
    /// clusters. Read from the message once and remembered for as long as it lives: the translator shares listeners
    /// between identities and never changes a message it has returned, and unpacking every connection manager of
    /// every identity's listeners was most of this check.
    /// </summary>
    internal static Use[] UsesOf(Listener listener) => ListenerUses.GetValue(listener, static l =>
    {
        var uses = new List<Use>();
        var filters = l.FilterChains.Append(l.DefaultFilterChain).OfType<FilterChain>().SelectMany(c => c.Filters).Select(f => f.TypedConfig);
        if (l.ApiListener?.ApiListener_ is { } api)
        {
            filters = filters.Append(api);
        }

        var where = $"listener {l.Name}";
        foreach (var config in filters.OfType<Google.Protobuf.WellKnownTypes.Any>())
        {
            if (config.TryUnpack<HttpConnectionManager>(out var hcm))
            {
                if (hcm.Rds is { } rds)
                {
                    uses.Add(new Use(null, rds.RouteConfigName, where));
                }
                else if (hcm.RouteConfig is { } inline)
                {
                    uses.AddRange(RouteUses($"{where}, inline route config", inline));
                }

                // Envoy refuses a connection manager whose tracer names a cluster it does not have.
                if (TracerCluster(hcm) is { } collector)
                {
                    uses.Add(new Use("tracer cluster", collector, where));
                }
            }
            else if (config.TryUnpack<TcpProxy>(out var tcp))
            {
                var names = tcp.ClusterSpecifierCase == TcpProxy.ClusterSpecifierOneofCase.Cluster
                    ? [tcp.Cluster]
                    : tcp.WeightedClusters.Clusters.Select(c => c.Name);
                uses.AddRange(names.Select(n => new Use("cluster", n, where)));
            }
        }

        return [.. uses];
    });

    /// <summary>The clusters a route configuration's routes name, remembered like <see cref="UsesOf(Listener)"/>.</summary>
    internal static Use[] UsesOf(RouteConfiguration config) =>
        RouteConfigUses.GetValue(config, static c => [.. RouteUses($"route config {c.Name}", c)]);

    private static IEnumerable<Use> RouteUses(string where, RouteConfiguration config)
    {
        foreach (var route in config.VirtualHosts.SelectMany(h => h.Routes))
        {
            if (route.Route_ is not { } action)
            {
                continue;
            }

            var names = action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.Cluster
                ? [action.Cluster]
                : action.WeightedClusters?.Clusters.Select(c => c.Name) ?? [];
            foreach (var name in names)
            {
                yield return new Use("cluster", name, $"{where}, route {route.Name}");
            }
        }
    }

    private static string? TracerCluster(HttpConnectionManager hcm)
    {
        var config = hcm.Tracing?.Provider?.TypedConfig;
        if (config is null)
        {
            return null;
        }

        if (config.TryUnpack<ZipkinConfig>(out var zipkin))
        {
            return zipkin.CollectorCluster;
        }

        if (config.TryUnpack<DatadogConfig>(out var datadog))
        {
            return datadog.CollectorCluster;
        }

        return config.TryUnpack<OpenTelemetryConfig>(out var otel) ? otel.GrpcService?.EnvoyGrpc?.ClusterName : null;
    }

    /// <summary>A name a resource uses: a route config (<paramref name="What"/> null) or a cluster, and where, for the problem.</summary>
    internal readonly record struct Use(string? What, string Name, string Where);
}
