using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;

namespace Mesh.Translation;

/// <summary>
/// One part of a translation as <see cref="ResourceConsistency"/> reads it, the first of its two phases: where each
/// name of each kind first stands, the problems the part has whatever it is joined to (an empty name, a name repeated
/// within it), and what its resources need that it does not provide itself (<see cref="Needs"/>: a route
/// configuration, cluster or assignment they name, a listener naming a route configuration, an EDS cluster claiming an
/// assignment), which the part it is joined to meets or not (<see cref="Meets"/>, the second phase). Each rule is
/// written here once, and the same code reads both parts.
/// A translation that is not joined is one part read against <see cref="None"/>. A joined one is its node's own part
/// (4-5 resources, read per check) against its routing's shared part (<see cref="ProxyResourceParts"/>: ~350
/// resources every node of the routing has), which <see cref="Of"/> reads once and keeps for as long as it lives.
/// </summary>
internal sealed class ConsistencyPart
{
    private static readonly ConditionalWeakTable<ProxyResources, ConsistencyPart> SharedParts = new();

    /// <summary>
    /// The kinds of names, in the order the check reports their problems (<see cref="KindOf"/>); set before
    /// <see cref="None"/>, whose fields are made from it.
    /// </summary>
    public static string[] KindNames { get; } = ["listener", "route config", "cluster", "EDS assignment", "secret"];

    // By name kind (KindOf): each name and where it first stands. The empty name too, which a use may name and find,
    // but which is reported as nameless wherever it stands, never as repeated.
    private readonly Dictionary<string, Site>[] _firsts = [.. KindNames.Select(_ => new Dictionary<string, Site>(StringComparer.Ordinal))];

    private readonly HashSet<string> _wildcardClusters = new(StringComparer.Ordinal);
    private readonly HashSet<Listener> _onDemandListeners = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _namedRoutes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _edsNames = new(StringComparer.Ordinal);

    /// <summary>The part a translation that is not joined is read against: it provides nothing and needs nothing.</summary>
    public static ConsistencyPart None { get; } = new();

    public ProxyResources Resources { get; private set; } = ProxyResources.Empty;

    /// <summary>The problems of the part whatever it is joined to: names empty or repeated within it.</summary>
    public List<(Site Site, string Problem)> Problems { get; } = [];

    /// <summary>What the part's resources need that it does not provide itself.</summary>
    public List<Need> Needs { get; } = [];

    /// <summary>Route configurations the part's wildcard (Envoy) listeners name: their clusters must be wildcard ones.</summary>
    public HashSet<string> WildcardNamedRoutes { get; } = new(StringComparer.Ordinal);

    /// <summary>Route configurations of the part that use on-demand clusters and no wildcard listener of the part names.</summary>
    public HashSet<string> RoutesUsingOnDemandClusters { get; } = new(StringComparer.Ordinal);

    /// <summary>The shared part <paramref name="shared"/> read, once for as long as it lives.</summary>
    public static ConsistencyPart Of(ProxyResources shared) => SharedParts.GetValue(shared, static s => new ConsistencyPart().Read(s, None));

    /// <summary>Each name of kind <paramref name="kind"/> (<see cref="KindOf"/>) and where it first stands in the part.</summary>
    public Dictionary<string, Site> FirstsOf(int kind) => _firsts[kind];

    /// <summary>
    /// Uses of on-demand clusters by route configurations no wildcard listener of the part names
    /// (<see cref="RoutesUsingOnDemandClusters"/>): met here, and problems after all where a wildcard listener of the
    /// other part names the configuration (an Envoy subscribes to CDS as a wildcard and would not get the cluster).
    /// Kept apart so a check reads them only then.
    /// </summary>
    public List<Need> OnDemandUses { get; } = [];

    /// <summary>
    /// Reads <paramref name="resources"/> as a part to be joined to <paramref name="joinedTo"/>, whose on-demand
    /// listeners are on demand here too (the check tells them by reference). That is all it takes from it, and exact
    /// because only one part of a join has wildcard listeners and only the other has on-demand ones
    /// (<see cref="ProxyResourceParts"/>).
    /// </summary>
    public ConsistencyPart Read(ProxyResources resources, ConsistencyPart joinedTo)
    {
        Resources = resources;
        for (var list = PartList.Listeners; list <= PartList.Secrets; list++)
        {
            ReadNames(list);
        }

        foreach (var cluster in resources.Clusters)
        {
            _wildcardClusters.Add(cluster.Name);
        }

        foreach (var listener in resources.OnDemandListeners)
        {
            _onDemandListeners.Add(listener);
        }

        ReadListeners(PartList.Listeners, resources.Listeners, joinedTo);
        ReadListeners(PartList.OnDemandListeners, resources.OnDemandListeners, joinedTo);
        ReadRouteConfigurations(resources);
        ReadEdsClusters(PartList.Clusters, resources.Clusters);
        ReadEdsClusters(PartList.OnDemandClusters, resources.OnDemandClusters);
        foreach (var name in _firsts[KindOf(PartList.ClusterLoadAssignments)].Keys)
        {
            Require(new Need(new Site(Section.Orphans, PartList.ClusterLoadAssignments, 0, 0), Provision.ClaimingCluster, name));
        }

        return this;
    }

    /// <summary>
    /// True when this part meets <paramref name="need"/>, whether the part is the one the need is of (the first phase)
    /// or the one that part is joined to (the second): the cluster a route configuration uses must be a wildcard one
    /// if a wildcard listener of either part names the configuration, and may be any cluster otherwise.
    /// </summary>
    public bool Meets(in Need need) =>
        need.Config is { } config && WildcardNamedRoutes.Contains(config) ? _wildcardClusters.Contains(need.Name)
        : need.MetHere || need.Kind switch
        {
            Provision.RouteConfig => _firsts[KindOf(PartList.RouteConfigurations)].ContainsKey(need.Name),
            Provision.WildcardCluster => _wildcardClusters.Contains(need.Name),
            Provision.Cluster => _firsts[KindOf(PartList.Clusters)].ContainsKey(need.Name),
            Provision.Assignment => _firsts[KindOf(PartList.ClusterLoadAssignments)].ContainsKey(need.Name),
            Provision.NamingListener => _namedRoutes.Contains(need.Name),
            _ => _edsNames.Contains(need.Name),
        };

    /// <summary>Empties the part to read another (a check's own part is kept by its thread, its sets' capacity with it).</summary>
    public void Clear()
    {
        Resources = ProxyResources.Empty;
        foreach (var firsts in _firsts)
        {
            firsts.Clear();
        }

        _wildcardClusters.Clear();
        _onDemandListeners.Clear();
        _namedRoutes.Clear();
        _edsNames.Clear();
        OnDemandUses.Clear();
        Problems.Clear();
        Needs.Clear();
        WildcardNamedRoutes.Clear();
        RoutesUsingOnDemandClusters.Clear();
    }

    /// <summary>The kind of name a list's resources have (an index of <see cref="KindNames"/>).</summary>
    public static int KindOf(PartList list) => list switch
    {
        PartList.Listeners or PartList.OnDemandListeners => 0,
        PartList.RouteConfigurations => 1,
        PartList.Clusters or PartList.OnDemandClusters => 2,
        PartList.ClusterLoadAssignments => 3,
        _ => 4,
    };

    public static int CountOf(ProxyResources resources, PartList list) => list switch
    {
        PartList.Listeners => resources.Listeners.Count,
        PartList.OnDemandListeners => resources.OnDemandListeners.Count,
        PartList.RouteConfigurations => resources.RouteConfigurations.Count,
        PartList.Clusters => resources.Clusters.Count,
        PartList.OnDemandClusters => resources.OnDemandClusters.Count,
        PartList.ClusterLoadAssignments => resources.ClusterLoadAssignments.Count,
        _ => resources.Secrets.Count,
    };

    public static string NameAt(ProxyResources resources, PartList list, int index) => list switch
    {
        PartList.Listeners => resources.Listeners[index].Name,
        PartList.OnDemandListeners => resources.OnDemandListeners[index].Name,
        PartList.RouteConfigurations => resources.RouteConfigurations[index].Name,
        PartList.Clusters => resources.Clusters[index].Name,
        PartList.OnDemandClusters => resources.OnDemandClusters[index].Name,
        PartList.ClusterLoadAssignments => resources.ClusterLoadAssignments[index].ClusterName,
        _ => resources.Secrets[index].Name,
    };

    /// <summary>Every resource has a name, unique within its kind (a listener served on demand counts as a listener).</summary>
    private void ReadNames(PartList list)
    {
        var kind = KindOf(list);
        var firsts = _firsts[kind];
        for (var i = 0; i < CountOf(Resources, list); i++)
        {
            var name = NameAt(Resources, list, i);
            var site = new Site(Section.Names, list, i, 0);
            if (string.IsNullOrEmpty(name))
            {
                Problems.Add((site, $"a {KindNames[kind]} has no name"));
                firsts.TryAdd(string.Empty, site);
            }
            else if (!firsts.TryAdd(name, site))
            {
                Problems.Add((site, $"{KindNames[kind]} {name} appears more than once"));
            }
        }
    }

    /// <summary>
    /// Every route configuration a listener names exists, and every cluster it names (TCP proxy, inline route, tracer)
    /// is one sent to wildcard subscribers, unless the listener is an on-demand one: an Envoy subscribes to CDS as a
    /// wildcard, a proxyless client names the clusters it wants.
    /// </summary>
    private void ReadListeners(PartList list, IReadOnlyList<Listener> listeners, ConsistencyPart joinedTo)
    {
        for (var i = 0; i < listeners.Count; i++)
        {
            var listener = listeners[i];
            var onDemand = _onDemandListeners.Contains(listener) || joinedTo._onDemandListeners.Contains(listener);
            var uses = ResourceConsistency.UsesOf(listener);
            for (var u = 0; u < uses.Length; u++)
            {
                var use = uses[u];
                var site = new Site(Section.ListenerUses, list, i, u);
                if (use.What is null)
                {
                    _namedRoutes.Add(use.Name);
                    if (!onDemand)
                    {
                        WildcardNamedRoutes.Add(use.Name);
                    }

                    Require(new Need(site, Provision.RouteConfig, use.Name, use.Where, "route config"));
                }
                else
                {
                    Require(new Need(site, onDemand ? Provision.Cluster : Provision.WildcardCluster, use.Name, use.Where, use.What));
                }
            }
        }
    }

    /// <summary>
    /// Every route configuration is named by some listener, and every cluster its routes name exists: a wildcard one
    /// if a wildcard listener names the configuration, any one otherwise.
    /// </summary>
    private void ReadRouteConfigurations(ProxyResources resources)
    {
        var configs = resources.RouteConfigurations;
        for (var i = 0; i < configs.Count; i++)
        {
            var config = configs[i];
            Require(new Need(new Site(Section.RouteConfigurations, PartList.RouteConfigurations, i, -1), Provision.NamingListener, config.Name));
            var wildcard = WildcardNamedRoutes.Contains(config.Name);
            var uses = ResourceConsistency.UsesOf(config);
            for (var u = 0; u < uses.Length; u++)
            {
                var use = uses[u];
                var site = new Site(Section.RouteConfigurations, PartList.RouteConfigurations, i, u);
                Require(wildcard
                    ? new Need(site, Provision.WildcardCluster, use.Name, use.Where, use.What)
                    : new Need(site, Provision.Cluster, use.Name, use.Where, use.What) { Config = config.Name });
            }
        }
    }

    /// <summary>Every EDS cluster has its assignment (and every assignment its EDS cluster: the orphans, read last).</summary>
    private void ReadEdsClusters(PartList list, IReadOnlyList<Cluster> clusters)
    {
        for (var i = 0; i < clusters.Count; i++)
        {
            var cluster = clusters[i];
            if (cluster.Type != Cluster.Types.DiscoveryType.Eds)
            {
                continue;
            }

            var name = string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? cluster.Name : cluster.EdsClusterConfig.ServiceName;
            _edsNames.Add(name);
            Require(new Need(new Site(Section.EdsClusters, list, i, 0), Provision.Assignment, name, cluster.Name));
        }
    }

    /// <summary>Keeps <paramref name="need"/> for the other part if this one does not meet it.</summary>
    private void Require(Need need)
    {
        if (!Meets(need))
        {
            Needs.Add(need);
        }
        else if (need.Config is { } config && !_wildcardClusters.Contains(need.Name))
        {
            RoutesUsingOnDemandClusters.Add(config);
            OnDemandUses.Add(need with { MetHere = true });
        }
    }
}

/// <summary>The lists of a translation, in the order the check reads them within a kind of name.</summary>
internal enum PartList : byte
{
    Listeners,
    OnDemandListeners,
    RouteConfigurations,
    Clusters,
    OnDemandClusters,
    ClusterLoadAssignments,
    Secrets,
}

/// <summary>The check's stages, in the order their problems are reported.</summary>
internal enum Section : byte
{
    Names,
    ListenerUses,
    RouteConfigurations,
    EdsClusters,
    Orphans,
}

/// <summary>What a <see cref="Need"/> asks of a part.</summary>
internal enum Provision : byte
{
    RouteConfig,
    WildcardCluster,
    Cluster,
    Assignment,
    NamingListener,
    ClaimingCluster,
}

/// <summary>
/// Where a problem stands: the check's stage, the resource it is about (its list and index in its part) and its place
/// among that resource's problems.
/// </summary>
internal readonly record struct Site(Section Section, PartList List, int Index, int Order);

/// <summary>
/// What a resource needs of the whole (a <paramref name="Kind"/> of thing named <paramref name="Name"/>), and the
/// problem it is when neither part provides it. A route configuration's use of a cluster carries the configuration
/// (<see cref="Config"/>) when no wildcard listener of its own part names it: whether it must be a wildcard cluster
/// then depends on the other part's listeners.
/// </summary>
internal readonly record struct Need(Site Site, Provision Kind, string Name, string? Where = null, string? What = null)
{
    public string? Config { get; init; }

    /// <summary>Met by the need's own part, unless the other part's wildcard listeners name <see cref="Config"/>.</summary>
    public bool MetHere { get; init; }

    public string Problem => Kind switch
    {
        Provision.NamingListener => $"route config {Name} is named by no listener",
        Provision.ClaimingCluster => $"EDS assignment {Name} belongs to no EDS cluster",
        Provision.Assignment => $"cluster {Where}: EDS assignment {Name} is missing",
        _ => $"{Where}: {What} {Name} is missing",
    };
}
