using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// Which resources of a graph the configuration of one target can read, following the graph the way the
/// translators do: a virtual node reads itself, its backends' virtual services (named, whether or not they exist),
/// each service's provider (a virtual node, or a router with its routes and the virtual nodes they target), and
/// the Cloud Map services those nodes discover through; a gateway reads itself, its gateway routes and each target
/// virtual service with everything behind it, as above. The mesh resource is read by every target (see
/// <see cref="MeshGraphDiff.Everything"/>). Conservative: a router counts with all its routes, whatever port a
/// route names, and a node's own Cloud Map service counts although only its callers read its instances. If a
/// translator starts reading something new, this must follow (the property test in
/// <c>Mesh.Translation.Tests</c> compares translations before and after random changes).
/// </summary>
public static class ProxyDependencies
{
    /// <summary>What <paramref name="target"/>'s configuration reads in <paramref name="graph"/> (null: the mesh does not exist).</summary>
    public static IReadOnlySet<GraphResourceKey> Of(MeshGraph? graph, ProxyTarget target)
    {
        var found = new Walk(graph);
        switch (target.Kind)
        {
            case ProxyTargetKind.VirtualNode:
                found.VirtualNode(target.Name);
                break;
            case ProxyTargetKind.VirtualGateway:
                found.VirtualGateway(target.Name);
                break;
            default:
                foreach (var name in target.ListenerNames)
                {
                    // A proxyless listener is "service" or "service:port"; both spellings are counted.
                    found.VirtualService(name);
                    if (name.LastIndexOf(':') is var colon and > 0)
                    {
                        found.VirtualService(name[..colon]);
                    }
                }

                break;
        }

        return found.Keys;
    }

    /// <summary>
    /// Whether the change from <paramref name="old"/> to <paramref name="new"/> (described by <paramref name="diff"/>)
    /// can change <paramref name="target"/>'s configuration: it reads, in either graph, something that changed.
    /// Both graphs count, because a change can add a reference (a new backend) or take one away.
    /// </summary>
    public static bool Affected(MeshGraphDiff diff, MeshGraph? old, MeshGraph? @new, ProxyTarget target)
    {
        if (diff.Everything)
        {
            return true;
        }

        if (diff.IsEmpty)
        {
            return false;
        }

        return Of(old, target).Overlaps(diff.Changed) || Of(@new, target).Overlaps(diff.Changed);
    }

    private sealed class Walk(MeshGraph? graph)
    {
        public HashSet<GraphResourceKey> Keys { get; } = [];

        public void VirtualNode(string name)
        {
            if (!Keys.Add(GraphResourceKey.VirtualNode(name)) || graph?.FindVirtualNode(name) is not { } node)
            {
                return;
            }

            CloudMapOf(node.Spec);
            foreach (var backend in node.Spec.Backends ?? [])
            {
                if (backend.VirtualService is { } service)
                {
                    VirtualService(service.VirtualServiceName);
                }
            }
        }

        public void VirtualGateway(string name)
        {
            if (!Keys.Add(GraphResourceKey.VirtualGateway(name)) || graph?.FindVirtualGateway(name) is not { } gateway)
            {
                return;
            }

            foreach (var route in gateway.GatewayRoutes)
            {
                var targets = new[] { route.Spec.HttpRoute?.Action.Target, route.Spec.Http2Route?.Action.Target, route.Spec.GrpcRoute?.Action.Target };
                foreach (var target in targets.OfType<Specs.GatewayRouteTarget>())
                {
                    VirtualService(target.VirtualService.VirtualServiceName);
                }
            }
        }

        public void VirtualService(string name)
        {
            if (!Keys.Add(GraphResourceKey.VirtualService(name)) || graph?.FindVirtualService(name) is not { } service)
            {
                return;
            }

            if (service.Spec.Provider?.VirtualNode is { } node)
            {
                // A provider node is reached, not configured: what its callers read of it is its spec and registry.
                ReachedNode(node.VirtualNodeName);
            }

            if (service.Spec.Provider?.VirtualRouter is { } router)
            {
                VirtualRouter(router.VirtualRouterName);
            }
        }

        private void VirtualRouter(string name)
        {
            if (!Keys.Add(GraphResourceKey.VirtualRouter(name)) || graph?.FindVirtualRouter(name) is not { } router)
            {
                return;
            }

            foreach (var route in router.Routes)
            {
                var spec = route.Spec;
                var targets = (spec.HttpRoute?.Action.WeightedTargets ?? [])
                    .Concat(spec.Http2Route?.Action.WeightedTargets ?? [])
                    .Concat(spec.GrpcRoute?.Action.WeightedTargets ?? [])
                    .Concat(spec.TcpRoute?.Action.WeightedTargets ?? []);
                foreach (var target in targets)
                {
                    ReachedNode(target.VirtualNode);
                }
            }
        }

        /// <summary>A node as an upstream: its listeners, discovery and, through Cloud Map, its instances.</summary>
        private void ReachedNode(string name)
        {
            Keys.Add(GraphResourceKey.VirtualNode(name));
            if (graph?.FindVirtualNode(name) is { } node)
            {
                CloudMapOf(node.Spec);
            }
        }

        private void CloudMapOf(Specs.VirtualNodeSpec spec)
        {
            if (spec.ServiceDiscovery?.AwsCloudMap is { } cloudMap)
            {
                Keys.Add(GraphResourceKey.CloudMapService(cloudMap.NamespaceName, cloudMap.ServiceName));
            }
        }
    }
}
