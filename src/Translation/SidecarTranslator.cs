using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// A virtual node's sidecar (docs/envoy-mapping.md §2–§3): the ingress listener in front of the local application and
/// the egress listener through which the application reaches its backends.
/// </summary>
internal static class SidecarTranslator
{
    public static void Translate(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node)
    {
        // The routes and clusters are the same for every node with these backends: shared per graph when it can be.
        var routing = context.EgressRouting(node);
        TranslateOwn(context, node, routing);

        // After the node's own: of a same-named pair, the node's is kept (and the clash warned of).
        context.AddAll(routing.Resources);
    }

    /// <summary>
    /// The node's own resources, without its egress routing's: the ingress listener with its route configurations and
    /// local clusters, and the egress listener. They read the node, the mesh and, of the routing, only what
    /// <see cref="EgressListenerInputs"/> holds, so they can outlive a change that left those alone
    /// (<see cref="MeshTranslator.MeshChanged"/>).
    /// </summary>
    public static void TranslateOwn(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node, EgressRouting routing)
    {
        var preference = Clusters.NodePreference(context, node.Spec);
        var accessLog = AccessLogs.Build(node.Spec.Logging);
        var tracing = Tracers.For(context, node.Name);
        Ingress(context, node, preference, accessLog, tracing);
        EgressListener(context, node, routing.Listener, preference, accessLog, tracing);
        WarnOfRepeatedBackends(context, node);
        WarnOfPortsTheSidecarHolds(context, node);
    }

    /// <summary>
    /// An application listener on a port the sidecar's Envoy holds itself cannot work, and the API takes it (App Mesh's
    /// model allows any port): the ingress (15000) and egress (15001) listeners, where the node's ingress cluster would
    /// send its own traffic back into Envoy, and the admin port of Mesh's bootstraps and App Mesh's image (9901).
    /// </summary>
    private static void WarnOfPortsTheSidecarHolds(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node)
    {
        foreach (var port in (node.Spec.Listeners ?? []).Select(l => l.PortMapping.Port).Distinct().Order())
        {
            var held = port switch
            {
                (int)EnvoyNames.IngressPort => "its ingress listener",
                (int)EnvoyNames.EgressPort => "its egress listener",
                SidecarAdminPort => "its admin interface (in Mesh's bootstraps and App Mesh's Envoy image)",
                _ => null,
            };
            if (held is not null)
            {
                context.Warn(WarningKind.Conflict, $"virtualNode/{node.Name} listener {port}: the sidecar's Envoy holds port {port} for {held}, so the application cannot listen there "
                    + "and its traffic would be sent back into Envoy; give the application another port");
            }
        }
    }

    private const int SidecarAdminPort = 9901;

    /// <summary>
    /// A backend listed more than once is routed with its first entry's client policy (<see cref="EgressRouting"/>). The
    /// API refuses entries that differ; one stored before it did has the others' policies ignored, and says so.
    /// </summary>
    private static void WarnOfRepeatedBackends(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node)
    {
        var groups = (node.Spec.Backends ?? [])
            .Select(b => b.VirtualService)
            .OfType<Specs.VirtualServiceBackend>()
            .GroupBy(b => b.VirtualServiceName, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            if (group.Select(b => b.ClientPolicy).Distinct().Count() > 1)
            {
                context.Warn(WarningKind.SettingIgnored, $"virtualNode/{node.Name} backend virtualService/{group.Key}: listed {group.Count()} times with different client policies; the first entry's is used");
            }
        }
    }

    private static Address Bind(Specs.IpPreference? preference, uint port) =>
        // Any IP preference makes App Mesh listeners bind "::" and accept IPv4 too (§6).
        preference is null ? Protos.SocketAddress("0.0.0.0", port) : Protos.SocketAddress("::", port, ipv4Compat: true);

    private static void Ingress(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node, Specs.IpPreference? preference, Envoy.Config.Accesslog.V3.AccessLog? accessLog, HttpConnectionManager.Types.Tracing tracing)
    {
        var listeners = (node.Spec.Listeners ?? []).OrderBy(l => l.PortMapping.Port).ToList();
        if (listeners.Count == 0)
        {
            return; // A node without listeners gets no ingress listener (§2).
        }

        var result = new Listener
        {
            Name = EnvoyNames.IngressListener,
            Address = Bind(preference, EnvoyNames.IngressPort),
            TrafficDirection = TrafficDirection.Inbound,
            ListenerFilters = { Filters.OriginalDst() },
            Metadata = AggregateStats.Untagged(),
        };
        // Only PERMISSIVE ports need the ClientHello read to choose a chain; on any other port the inspector would hold
        // a protocol whose server speaks first (MySQL, SMTP) until its timeout closed the connection (RM#62).
        var permissive = listeners.Where(l => l.Tls?.Mode == Specs.ListenerTlsMode.Permissive).Select(l => (uint)l.PortMapping.Port).ToArray();
        if (permissive.Length > 0)
        {
            result.ListenerFilters.Add(Filters.TlsInspector(permissive));
        }

        foreach (var listener in listeners)
        {
            var port = listener.PortMapping.Port;
            var protocol = listener.PortMapping.Protocol;
            var proto = EnvoyNames.Protocol(protocol);
            var where = $"virtualNode/{node.Name} listener {proto}:{port}";
            var cluster = Clusters.LocalApp(context, node.Name, listener, Clusters.PrefersIpv6Loopback(preference));
            var statPrefix = listeners.Count > 1 ? $"ingress.{proto}.{port}" : "ingress";
            Filter filter;
            if (protocol == Specs.PortProtocol.Tcp)
            {
                var idle = listener.Timeout?.Tcp?.Idle?.ToTimeSpan() ?? ServiceRouting.DefaultIdle;
                filter = Filters.TcpProxy(statPrefix, [(cluster, 1)], accessLog, idle);
            }
            else
            {
                var (perRequest, idleTimeout) = ServiceRouting.ListenerTimeouts(listener.Timeout, protocol);
                var idle = idleTimeout?.ToTimeSpan() ?? ServiceRouting.DefaultIdle;
                var routeName = EnvoyNames.IngressRoute(protocol, port);
                filter = Filters.EnvoyHcm(statPrefix, routeName, accessLog, tracing, idle, websocket: protocol == Specs.PortProtocol.Http);

                // The listener's timeout governs the ingress route (§3 "Timeouts").
                var action = new RouteAction { Cluster = cluster };
                ServiceRouting.ApplyTimeouts(action, perRequest, null, new RouteFlavor(false, null, null));
                context.Add(new RouteConfiguration
                {
                    Name = routeName,
                    VirtualHosts =
                    {
                        new VirtualHost
                        {
                            Name = $"{node.Name}_{proto}_{port}",
                            Domains = { "*" },
                            Routes = { new Route { Name = "ingress", Match = new RouteMatch { Prefix = "/" }, Route_ = action } },
                        },
                    },
                });
            }

            result.FilterChains.AddRange(ListenerChains.Inbound($"ingress_{proto}_{port}", port, protocol, listener.Tls, filter, where, context));
        }

        context.Add(result);
    }

    private static void EgressListener(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node, EgressListenerInputs routing, Specs.IpPreference? preference, Envoy.Config.Accesslog.V3.AccessLog? accessLog, HttpConnectionManager.Types.Tracing tracing)
    {
        var tcp = new SortedDictionary<int, (string Service, TcpTargets Targets)>(routing.Tcp.ToDictionary());
        var allowAllCluster = routing.AllowAllCluster;
        var result = new Listener
        {
            Name = EnvoyNames.EgressListener,
            Address = Bind(preference, EnvoyNames.EgressPort),
            TrafficDirection = TrafficDirection.Outbound,
            ListenerFilters = { Filters.OriginalDst() },
            Metadata = AggregateStats.Untagged(),
        };

        foreach (var (port, _, _) in routing.Http)
        {
            if (tcp.Remove(port, out var loser))
            {
                context.Warn(WarningKind.Conflict, $"virtualNode/{node.Name}: port {port} is used by HTTP and TCP backends; TCP virtualService/{loser.Service} is not reachable from this node");
            }
        }

        // Counted once the ports HTTP took from TCP are gone: one chain is "egress" whatever it lost.
        var chainCount = routing.Http.Count + tcp.Count;
        foreach (var (port, protocol, routeName) in routing.Http)
        {
            var proto = EnvoyNames.Protocol(protocol);
            var statPrefix = chainCount > 1 ? $"egress.{proto}.{port}" : "egress";
            result.FilterChains.Add(new FilterChain
            {
                Name = $"egress_{proto}_{port}",
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port },
                Filters = { Filters.EnvoyHcm(statPrefix, routeName, accessLog, tracing, ServiceRouting.DefaultIdle, websocket: protocol == Specs.PortProtocol.Http) },
            });
        }

        foreach (var (port, (_, targets)) in tcp)
        {
            var statPrefix = chainCount > 1 ? $"egress.tcp.{port}" : "egress";
            result.FilterChains.Add(new FilterChain
            {
                Name = $"egress_tcp_{port}",
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port },
                Filters = { Filters.TcpProxy(statPrefix, targets.Clusters, accessLog, targets.Idle ?? ServiceRouting.DefaultIdle) },
            });
        }

        if (routing.AmazonAwsCluster is { } cluster)
        {
            // App Mesh always let *.amazonaws.com:443 through, even under DROP_ALL (§2 "Egress listener").
            result.ListenerFilters.Add(Filters.TlsInspector(443));
            result.FilterChains.Add(new FilterChain
            {
                Name = "egress_amazonaws",
                FilterChainMatch = new FilterChainMatch { DestinationPort = 443, ServerNames = { "*.amazonaws.com" } },
                Filters = { Filters.TcpProxy("egress.amazonaws", [(cluster, 1)], accessLog, TimeSpan.FromHours(1)) },
            });
        }

        if (allowAllCluster is not null)
        {
            // ALLOW_ALL: whatever no chain claims passes through to where the application was connecting.
            result.DefaultFilterChain = new FilterChain
            {
                Name = "egress_allow_all",
                Filters = { Filters.TcpProxy("egress.mesh_allow_all", [(allowAllCluster, 1)], accessLog, TimeSpan.FromHours(1)) },
            };
        }

        if (result.FilterChains.Count > 0 || result.DefaultFilterChain is not null)
        {
            context.Add(result);
        }
    }
}
