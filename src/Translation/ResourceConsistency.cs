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
/// The rules are <see cref="ConsistencyPart"/>'s, in two phases: what a part provides and needs, then each part's
/// needs against the other part. A translation joined from a node's own resources and its routing's shared part
/// (<see cref="ProxyResourceParts"/>: ~350 resources, 4-5 of them the node's own) is read as those two parts, the
/// shared one once for all the nodes that share it; any other is one part with nothing joined to it. The problems
/// are the same either way, in the same order: that of the whole translation's lists.
/// </summary>
public static class ResourceConsistency
{
    private static readonly ConditionalWeakTable<Listener, Use[]> ListenerUses = new();
    private static readonly ConditionalWeakTable<RouteConfiguration, Use[]> RouteConfigUses = new();

    [ThreadStatic]
    private static Reading? kept;

    public static IReadOnlyList<string> Check(ProxyResources resources)
    {
        var parts = ProxyResourceParts.Of(resources);
        var shared = parts is null ? ConsistencyPart.None : ConsistencyPart.Of(parts.Shared);

        // A reading (and the own part it reads) is a thread's own and emptied after each check, not made per call:
        // 200 identities of one route change made a dozen name sets each.
        var reading = kept ?? new Reading();
        kept = null;
        try
        {
            return reading.Problems(parts?.Own ?? resources, shared);
        }
        finally
        {
            reading.Clear();
            kept = reading;
        }
    }

    /// <summary>
    /// The second phase: the own part (read here) and the part it is joined to, each part's problems and needs the
    /// other does not meet, and the names both have, put in the order the whole translation's lists give them
    /// (<see cref="ProxyResourceParts.Join"/> merges each list of the two parts by name).
    /// </summary>
    private sealed class Reading
    {
        private readonly ConsistencyPart _own = new();
        private readonly List<Found> _found = [];

        // By PartList, made when a problem is to be placed: for each of the own part's items, how many of the shared
        // part's the join puts before it.
        private readonly int[]?[] _sharedBefore = new int[]?[(int)PartList.Secrets + 1];
        private ConsistencyPart _shared = ConsistencyPart.None;

        public IReadOnlyList<string> Problems(ProxyResources own, ConsistencyPart shared)
        {
            _shared = shared;
            _own.Read(own, shared);
            Unmet(_own, shared);
            Unmet(shared, _own);
            Repeated();
            if (_found.Count == 0)
            {
                return [];
            }

            _found.Sort(InCheckOrder);
            var problems = new List<string>(_found.Count);
            for (var i = 0; i < _found.Count; i++)
            {
                // An assignment both parts leave unclaimed is one problem, as the whole's set of names has it once.
                if (i == 0 || _found[i].Site.Section != Section.Orphans || _found[i - 1].Site.Section != Section.Orphans || _found[i].Name != _found[i - 1].Name)
                {
                    problems.Add(_found[i].Problem);
                }
            }

            return problems;
        }

        public void Clear()
        {
            _own.Clear();
            _found.Clear();
            Array.Clear(_sharedBefore);
            _shared = ConsistencyPart.None;
        }

        /// <summary><paramref name="part"/>'s problems, and its needs <paramref name="other"/> does not meet.</summary>
        private void Unmet(ConsistencyPart part, ConsistencyPart other)
        {
            foreach (var (site, problem) in part.Problems)
            {
                Add(part, site, problem, string.Empty);
            }

            foreach (var need in part.Needs)
            {
                if (!other.Meets(need))
                {
                    Add(part, need.Site, need.Problem, need.Name);
                }
            }

            // Only where the other part's wildcard listeners (an own part's few) name one of those route configurations.
            foreach (var route in other.WildcardNamedRoutes)
            {
                if (part.RoutesUsingOnDemandClusters.Contains(route))
                {
                    foreach (var need in part.OnDemandUses)
                    {
                        if (!other.Meets(need))
                        {
                            Add(part, need.Site, need.Problem, need.Name);
                        }
                    }

                    break;
                }
            }
        }

        /// <summary>A name both parts have: where it stands second in the whole, it is repeated.</summary>
        private void Repeated()
        {
            for (var kind = 0; kind < ConsistencyPart.KindNames.Length; kind++)
            {
                var (few, many) = _own.FirstsOf(kind).Count <= _shared.FirstsOf(kind).Count ? (_own, _shared) : (_shared, _own);
                foreach (var (name, site) in few.FirstsOf(kind))
                {
                    if (name.Length > 0 && many.FirstsOf(kind).TryGetValue(name, out var other))
                    {
                        var fewFirst = site.List != other.List ? site.List < other.List : Position(few, site) < Position(many, other);
                        var (part, second) = fewFirst ? (many, other) : (few, site);
                        Add(part, second, $"{ConsistencyPart.KindNames[kind]} {name} appears more than once", name);
                    }
                }
            }
        }

        private void Add(ConsistencyPart part, Site site, string problem, string name) =>
            _found.Add(new Found(site, site.Section == Section.Orphans ? 0 : Position(part, site), problem, name));

        /// <summary>Where the item <paramref name="site"/> is about stands in the whole's list (its part's list and the other's merged).</summary>
        private int Position(ConsistencyPart part, Site site)
        {
            var before = SharedBefore(site.List);
            if (ReferenceEquals(part, _own))
            {
                return site.Index + before[site.Index];
            }

            var ownBefore = 0;
            foreach (var count in before)
            {
                ownBefore += count <= site.Index ? 1 : 0;
            }

            return site.Index + ownBefore;
        }

        /// <summary>
        /// For each of the own part's items in <paramref name="list"/>, how many of the shared part's the join puts
        /// before it: its merge takes the own item when its name sorts first, the shared one otherwise.
        /// </summary>
        private int[] SharedBefore(PartList list)
        {
            if (_sharedBefore[(int)list] is { } known)
            {
                return known;
            }

            var own = _own.Resources;
            var shared = _shared.Resources;
            var sharedCount = ConsistencyPart.CountOf(shared, list);
            var before = new int[ConsistencyPart.CountOf(own, list)];
            var b = 0;
            for (var o = 0; o < before.Length; o++)
            {
                var name = ConsistencyPart.NameAt(own, list, o);
                while (b < sharedCount && !ProxyResourceParts.OwnFirst(name, ConsistencyPart.NameAt(shared, list, b)))
                {
                    b++;
                }

                before[o] = b;
            }

            return _sharedBefore[(int)list] = before;
        }

        /// <summary>
        /// The whole check's order: by stage; orphan assignments by name; the rest by the list and place in it of the
        /// resource a problem is about, and its place among that resource's problems.
        /// </summary>
        private static int InCheckOrder(Found a, Found b) =>
            a.Site.Section != b.Site.Section ? (int)a.Site.Section - (int)b.Site.Section
            : a.Site.Section == Section.Orphans ? string.CompareOrdinal(a.Name, b.Name)
            : a.Site.List != b.Site.List ? (int)a.Site.List - (int)b.Site.List
            : a.Position != b.Position ? a.Position - b.Position
            : a.Site.Order - b.Site.Order;

        /// <summary>A problem found, with what puts it in order: where it stands, and for an orphan assignment its name.</summary>
        private readonly record struct Found(Site Site, int Position, string Problem, string Name);
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
