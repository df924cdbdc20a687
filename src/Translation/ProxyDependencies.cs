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
        var keys = new HashSet<GraphResourceKey>();
        new Walk(graph, key =>
        {
            keys.Add(key);
            return false;
        }).Target(target);
        return keys;
    }

    /// <summary>
    /// Whether the change from <paramref name="old"/> to <paramref name="new"/> (described by <paramref name="diff"/>)
    /// can change <paramref name="target"/>'s configuration: it reads, in either graph, something that changed.
    /// Both graphs count, because a change can add a reference (a new backend) or take one away. Walks the graphs
    /// without collecting anything and stops at the first hit: the server asks this for every watched identity of
    /// a mesh on every change.
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

        return new Walk(old, diff.Touches).Target(target) || new Walk(@new, diff.Touches).Target(target);
    }

    /// <summary>
    /// Visits every key the target reads (some more than once); stops, returning true, as soon as
    /// <paramref name="stop"/> says so. The graph has no cycles to follow: a node reached as an upstream is not
    /// walked into its own backends.
    /// </summary>
    private sealed class Walk(MeshGraph? graph, Func<GraphResourceKey, bool> stop)
    {
        public bool Target(ProxyTarget target)
        {
            switch (target.Kind)
            {
                case ProxyTargetKind.VirtualNode:
                    return VirtualNode(target.Name);
                case ProxyTargetKind.VirtualGateway:
                    return VirtualGateway(target.Name);
                default:
                    foreach (var name in target.ListenerNames)
                    {
                        // A proxyless listener is "service" or "service:port"; both spellings are counted.
                        if (VirtualService(name) || (name.LastIndexOf(':') is var colon and > 0 && VirtualService(name[..colon])))
                        {
                            return true;
                        }
                    }

                    return false;
            }
        }

        private bool VirtualNode(string name)
        {
            if (stop(GraphResourceKey.VirtualNode(name)))
            {
                return true;
            }

            if (graph?.FindVirtualNode(name) is not { } node)
            {
                return false;
            }

            if (CloudMapOf(node.Spec))
            {
                return true;
            }

            foreach (var backend in node.Spec.Backends ?? [])
            {
                if (backend.VirtualService is { } service && VirtualService(service.VirtualServiceName))
                {
                    return true;
                }
            }

            return false;
        }

        private bool VirtualGateway(string name)
        {
            if (stop(GraphResourceKey.VirtualGateway(name)))
            {
                return true;
            }

            if (graph?.FindVirtualGateway(name) is not { } gateway)
            {
                return false;
            }

            foreach (var route in gateway.GatewayRoutes)
            {
                var spec = route.Spec;
                if ((spec.HttpRoute?.Action.Target is { } http && VirtualService(http.VirtualService.VirtualServiceName))
                    || (spec.Http2Route?.Action.Target is { } http2 && VirtualService(http2.VirtualService.VirtualServiceName))
                    || (spec.GrpcRoute?.Action.Target is { } grpc && VirtualService(grpc.VirtualService.VirtualServiceName)))
                {
                    return true;
                }
            }

            return false;
        }

        private bool VirtualService(string name)
        {
            if (stop(GraphResourceKey.VirtualService(name)))
            {
                return true;
            }

            var provider = graph?.FindVirtualService(name)?.Spec.Provider;

            // A provider node is reached, not configured: what its callers read of it is its spec and registry.
            return (provider?.VirtualNode is { } node && ReachedNode(node.VirtualNodeName))
                || (provider?.VirtualRouter is { } router && VirtualRouter(router.VirtualRouterName));
        }

        private bool VirtualRouter(string name)
        {
            if (stop(GraphResourceKey.VirtualRouter(name)))
            {
                return true;
            }

            foreach (var route in graph?.FindVirtualRouter(name)?.Routes ?? [])
            {
                var spec = route.Spec;
                if (Targets(spec.HttpRoute?.Action.WeightedTargets)
                    || Targets(spec.Http2Route?.Action.WeightedTargets)
                    || Targets(spec.GrpcRoute?.Action.WeightedTargets)
                    || Targets(spec.TcpRoute?.Action.WeightedTargets))
                {
                    return true;
                }
            }

            return false;
        }

        private bool Targets(Specs.EquatableList<Specs.WeightedTarget>? targets)
        {
            foreach (var target in targets ?? [])
            {
                if (ReachedNode(target.VirtualNode))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A node as an upstream: its listeners, discovery and, through Cloud Map, its instances.</summary>
        private bool ReachedNode(string name) =>
            stop(GraphResourceKey.VirtualNode(name)) || (graph?.FindVirtualNode(name) is { } node && CloudMapOf(node.Spec));

        private bool CloudMapOf(Specs.VirtualNodeSpec spec) =>
            spec.ServiceDiscovery?.AwsCloudMap is { } cloudMap && stop(GraphResourceKey.CloudMapService(cloudMap.NamespaceName, cloudMap.ServiceName));
    }
}
