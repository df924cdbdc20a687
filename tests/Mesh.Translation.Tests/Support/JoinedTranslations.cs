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
        own.Warnings);

    private static T? Pick<T>(IReadOnlyList<T> items, Random random)
        where T : class => items.Count == 0 ? null : items[random.Next(items.Count)];

    private static Listener Http(string name, string routeConfig) => new()
    {
        Name = name,
        FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(new HttpConnectionManager { Rds = new Rds { RouteConfigName = routeConfig } }) } } } },
    };

    private static Listener Tcp(string name, string cluster) => new()
    {
        Name = name,
        FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "tcp", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "tcp", Cluster = cluster }) } } } },
    };

    private static Cluster Eds(string name, string serviceName) => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = serviceName },
    };
}
