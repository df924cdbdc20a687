using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Support;

/// <summary>
/// Translations joined from a node's own resources and its routing's shared part (<see cref="ProxyResourceParts"/>),
/// for the property tests of what is done with the shared part once (the consistency check, the snapshot build):
/// every node of random meshes through random changes, as a translator told of each change gives them, and each with
/// its own part broken or clashing with the shared part in the ways a check or a build must notice.
/// </summary>
internal static class JoinedTranslations
{
    /// <summary>Every virtual node's translation over <paramref name="seeds"/> random meshes and <paramref name="steps"/> changes each.</summary>
    public static IEnumerable<(string Why, ProxyResources Resources, Random Random)> OverRandomMeshes(int seeds, int steps)
    {
        for (var seed = 0; seed < seeds; seed++)
        {
            var meshes = new RandomMeshes(seed);
            var random = new Random(seed);
            var translator = new MeshTranslator();
            var graph = meshes.Graph();
            var change = "the first graph";
            for (var step = 0; step < steps; step++)
            {
                foreach (var name in RandomMeshes.NodeNames.Where(n => graph.FindVirtualNode(n) is not null))
                {
                    yield return ($"seed {seed}, step {step} after {change}: node {name}", translator.TranslateProxy(graph, ProxyTarget.VirtualNode(name)), random);
                }

                change = meshes.Mutate();
                var next = meshes.Graph();
                translator.MeshChanged(graph, next, MeshGraphDiff.Between(graph, next));
                graph = next;
            }
        }
    }

    /// <summary>The same lists without their parts: what the check and the build did with every translation before.</summary>
    public static ProxyResources Whole(ProxyResources joined) => joined with { Parts = null };

    /// <summary>
    /// <paramref name="parts"/>' join as it is, then with its own part changed: each own listener left out in turn (a
    /// shared route configuration then named by no listener), an own resource of each kind named like one of the
    /// shared part's (a clash by name, which the translator's join refuses for all but listeners) or repeated or
    /// nameless, a listener naming a shared route configuration (some use on-demand clusters) or a cluster of any
    /// kind, a route configuration no listener names, an EDS cluster with and without an assignment, an orphan
    /// assignment. Some of these are consistent, most are not.
    /// </summary>
    public static IEnumerable<(string Why, ProxyResources Joined)> Variants(ProxyResourceParts parts, Random random)
    {
        var own = parts.Own;
        var shared = parts.Shared;
        yield return ("as translated", Join(own, shared));
        for (var i = 0; i < own.Listeners.Count; i++)
        {
            yield return ($"own listener {own.Listeners[i].Name} left out", Join(own with { Listeners = [.. own.Listeners.Where((_, j) => j != i)] }, shared));
        }

        if (own.Listeners.Count > 0)
        {
            yield return ("an own listener twice", Join(own with { Listeners = [.. own.Listeners, own.Listeners[0]] }, shared));
        }

        if (Pick(shared.OnDemandListeners, random) is { } onDemand)
        {
            yield return ($"an own listener named {onDemand.Name}, like an on-demand one", Join(own with { Listeners = [.. own.Listeners, Http(onDemand.Name, "own_route")] }, shared));
        }

        if (Pick(shared.RouteConfigurations, random) is { } route)
        {
            yield return ($"an own route configuration named {route.Name}, like a shared one", Join(own with { RouteConfigurations = [.. own.RouteConfigurations, new RouteConfiguration { Name = route.Name }] }, shared));
            yield return ($"an own listener naming the shared route configuration {route.Name}", Join(own with { Listeners = [.. own.Listeners, Http("own_listener", route.Name)] }, shared));
        }

        foreach (var cluster in new[] { Pick(shared.Clusters, random), Pick(shared.OnDemandClusters, random) }.OfType<Cluster>())
        {
            yield return ($"an own cluster named {cluster.Name}, like a shared one", Join(own with { Clusters = [.. own.Clusters, new Cluster { Name = cluster.Name }] }, shared));
            yield return ($"an own listener proxying TCP to the shared cluster {cluster.Name}", Join(own with { Listeners = [.. own.Listeners, Tcp("own_listener", cluster.Name)] }, shared));
        }

        if (Pick(shared.ClusterLoadAssignments, random) is { } assignment)
        {
            yield return ($"an own assignment named {assignment.ClusterName}, like a shared one", Join(own with { ClusterLoadAssignments = [.. own.ClusterLoadAssignments, new ClusterLoadAssignment { ClusterName = assignment.ClusterName }] }, shared));
            yield return ($"an own EDS cluster served by the shared assignment {assignment.ClusterName}", Join(own with { Clusters = [.. own.Clusters, Eds("own_eds", assignment.ClusterName)] }, shared));
        }

        yield return ("an own cluster with no name", Join(own with { Clusters = [.. own.Clusters, new Cluster()] }, shared));
        yield return ("an own route configuration no listener names", Join(own with { RouteConfigurations = [.. own.RouteConfigurations, new RouteConfiguration { Name = "own_unnamed" }] }, shared));
        yield return ("an own EDS cluster without its assignment", Join(own with { Clusters = [.. own.Clusters, Eds("own_eds", "")] }, shared));
        yield return ("an own EDS cluster with its assignment", Join(own with { Clusters = [.. own.Clusters, Eds("own_eds", "")], ClusterLoadAssignments = [.. own.ClusterLoadAssignments, new ClusterLoadAssignment { ClusterName = "own_eds" }] }, shared));
        yield return ("an own assignment no cluster claims", Join(own with { ClusterLoadAssignments = [.. own.ClusterLoadAssignments, new ClusterLoadAssignment { ClusterName = "own_orphan" }] }, shared));
        yield return ("an own listener proxying TCP to a cluster nobody has", Join(own with { Listeners = [.. own.Listeners, Tcp("own_listener", "own_nowhere")] }, shared));
    }

    /// <summary>
    /// <paramref name="parts"/> with a problem put into the shared part, joined to the node's own part as it is and,
    /// where one can, to the own part with what mends it (<c>Mended</c>): a nameless cluster; a route configuration or
    /// an assignment twice; an on-demand listener naming a route configuration nobody has (mended by an own one); an
    /// on-demand route configuration using a cluster nobody has (an own cluster); an EDS cluster without its assignment
    /// (an own assignment); an assignment no cluster claims (an own EDS cluster). The shared resource goes in at a random
    /// place, so the shared lists are not always sorted: the check must place problems as the join merges the lists.
    /// </summary>
    public static IEnumerable<(string Why, bool Mended, ProxyResourceParts Parts)> BrokenShared(ProxyResourceParts parts, Random random)
    {
        var own = parts.Own;
        var shared = parts.Shared;
        yield return ("a nameless shared cluster", false, Parts(own, shared with { Clusters = Insert(shared.Clusters, new Cluster(), random) }));
        if (Pick(shared.RouteConfigurations, random) is { } route)
        {
            yield return ($"the shared route configuration {route.Name} twice", false, Parts(own, shared with { RouteConfigurations = Insert(shared.RouteConfigurations, route, random) }));
        }

        if (Pick(shared.ClusterLoadAssignments, random) is { } assignment)
        {
            yield return ($"the shared assignment {assignment.ClusterName} twice", false, Parts(own, shared with { ClusterLoadAssignments = Insert(shared.ClusterLoadAssignments, assignment, random) }));
        }

        var lostRoute = shared with { OnDemandListeners = Insert(shared.OnDemandListeners, Http("shared_listener", "shared_lost_route"), random) };
        yield return ("an on-demand listener naming a route configuration nobody has", false, Parts(own, lostRoute));
        yield return ("an on-demand listener naming the node's route configuration", true, Parts(own with { RouteConfigurations = [.. own.RouteConfigurations, new RouteConfiguration { Name = "shared_lost_route" }] }, lostRoute));

        var lostCluster = shared with
        {
            OnDemandListeners = Insert(shared.OnDemandListeners, Http("shared_listener", "shared_route"), random),
            RouteConfigurations = Insert(shared.RouteConfigurations, Routes("shared_route", "shared_lost_cluster"), random),
        };
        yield return ("a shared route configuration using a cluster nobody has", false, Parts(own, lostCluster));
        yield return ("a shared route configuration using the node's cluster", true, Parts(own with { Clusters = [.. own.Clusters, new Cluster { Name = "shared_lost_cluster" }] }, lostCluster));

        var lostAssignment = shared with { Clusters = Insert(shared.Clusters, Eds("shared_eds", ""), random) };
        yield return ("a shared EDS cluster without its assignment", false, Parts(own, lostAssignment));
        yield return ("a shared EDS cluster served by the node's assignment", true, Parts(own with { ClusterLoadAssignments = [.. own.ClusterLoadAssignments, new ClusterLoadAssignment { ClusterName = "shared_eds" }] }, lostAssignment));

        var orphan = shared with { ClusterLoadAssignments = Insert(shared.ClusterLoadAssignments, new ClusterLoadAssignment { ClusterName = "shared_orphan" }, random) };
        yield return ("a shared assignment no cluster claims", false, Parts(own, orphan));
        yield return ("a shared assignment the node's EDS cluster claims", true, Parts(own with { Clusters = [.. own.Clusters, Eds("own_eds", "shared_orphan")] }, orphan));
    }

    private static ProxyResourceParts Parts(ProxyResources own, ProxyResources shared) =>
        ProxyResourceParts.Of(Join(own, shared)) ?? throw new InvalidOperationException("the join has no parts");

    private static IReadOnlyList<T> Insert<T>(IReadOnlyList<T> items, T item, Random random)
    {
        var list = items.ToList();
        list.Insert(random.Next(list.Count + 1), item);
        return list;
    }

    /// <summary>As the translator joins them (its lists sorted by name, as its own are).</summary>
    private static ProxyResources Join(ProxyResources own, ProxyResources shared) => ProxyResourceParts.Join(
        own with
        {
            Listeners = [.. own.Listeners.OrderBy(l => l.Name, StringComparer.Ordinal)],
            RouteConfigurations = [.. own.RouteConfigurations.OrderBy(r => r.Name, StringComparer.Ordinal)],
            Clusters = [.. own.Clusters.OrderBy(c => c.Name, StringComparer.Ordinal)],
            ClusterLoadAssignments = [.. own.ClusterLoadAssignments.OrderBy(e => e.ClusterName, StringComparer.Ordinal)],
        },
        shared,
        own.Warnings,
        own.ProxylessWarnings);

    private static T? Pick<T>(IReadOnlyList<T> items, Random random)
        where T : class => items.Count == 0 ? null : items[random.Next(items.Count)];

    public static Listener Http(string name, string routeConfig) => new()
    {
        Name = name,
        FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(new HttpConnectionManager { Rds = new Rds { RouteConfigName = routeConfig } }) } } } },
    };

    public static Listener Tcp(string name, string cluster) => new()
    {
        Name = name,
        FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "tcp", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "tcp", Cluster = cluster }) } } } },
    };

    public static RouteConfiguration Routes(string name, string cluster) => new()
    {
        Name = name,
        VirtualHosts = { new VirtualHost { Name = "vh", Domains = { "*" }, Routes = { new Route { Name = "r", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } } } } },
    };

    public static Cluster Eds(string name, string serviceName = "") => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = serviceName },
    };
}
