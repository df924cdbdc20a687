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
        var preference = Clusters.NodePreference(context, node.Spec);
        var accessLog = AccessLogs.Build(node.Spec.Logging);
        var tracing = Tracers.For(context, node.Name);
        Ingress(context, node, preference, accessLog, tracing);
        Egress(context, node, preference, accessLog, tracing);
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
        if (listeners.Any(l => l.Tls?.Mode == Specs.ListenerTlsMode.Permissive))
        {
            result.ListenerFilters.Add(Filters.TlsInspector());
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

    private static void Egress(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node, Specs.IpPreference? preference, Envoy.Config.Accesslog.V3.AccessLog? accessLog, HttpConnectionManager.Types.Tracing tracing)
    {
        var http = new SortedDictionary<int, (SortedSet<Specs.PortProtocol> Protocols, List<VirtualHost> Hosts)>();
        var tcp = new SortedDictionary<int, (string Service, TcpTargets Targets)>();
        var backends = (node.Spec.Backends ?? [])
            .Select(b => b.VirtualService)
            .OfType<Specs.VirtualServiceBackend>()
            .GroupBy(b => b.VirtualServiceName, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(b => b.VirtualServiceName, StringComparer.Ordinal);

        foreach (var backend in backends)
        {
            var service = backend.VirtualServiceName;
            var where = $"virtualNode/{node.Name} backend virtualService/{service}";
            // A backend's own client policy replaces the node's backendDefaults (§3 "Backend defaults").
            var flavor = new RouteFlavor(false, backend.ClientPolicy ?? node.Spec.BackendDefaults?.ClientPolicy, null);
            foreach (var port in ServiceRouting.Ports(context, service, where))
            {
                if (port.Protocol == Specs.PortProtocol.Tcp)
                {
                    if (tcp.TryGetValue(port.Port, out var taken))
                    {
                        // Egress matches TCP on the destination port alone, so one TCP service per port (RM#195).
                        context.Warn($"{where}: TCP port {port.Port} is already taken by virtualService/{taken.Service}; not reachable from this node");
                    }
                    else if (ServiceRouting.Tcp(context, service, port, flavor, where) is { } targets)
                    {
                        tcp.Add(port.Port, (service, targets));
                    }

                    continue;
                }

                if (!http.TryGetValue(port.Port, out var entry))
                {
                    entry = (new SortedSet<Specs.PortProtocol>(), []);
                    http.Add(port.Port, entry);
                }

                entry.Protocols.Add(port.Protocol);
                var host = new VirtualHost { Name = service, Domains = { service, $"{service}:{port.Port}" } };
                host.Routes.AddRange(ServiceRouting.HttpRoutes(context, service, port, flavor, where));
                entry.Hosts.Add(host);
            }
        }

        var allowAll = context.Graph.Mesh.EgressFilter?.Type == Specs.EgressFilterType.AllowAll;
        var allowAllCluster = allowAll ? Clusters.OriginalDestination(context, EnvoyNames.AllowAllCluster(context.Mesh)) : null;
        var result = new Listener
        {
            Name = EnvoyNames.EgressListener,
            Address = Bind(preference, EnvoyNames.EgressPort),
            TrafficDirection = TrafficDirection.Outbound,
            ListenerFilters = { Filters.OriginalDst() },
            Metadata = AggregateStats.Untagged(),
        };

        var chainCount = http.Count + tcp.Count;
        foreach (var (port, (protocols, hosts)) in http)
        {
            if (tcp.Remove(port, out var loser))
            {
                context.Warn($"virtualNode/{node.Name}: port {port} is used by HTTP and TCP backends; TCP virtualService/{loser.Service} is not reachable from this node");
            }

            // One HCM per port whatever the HTTP flavour (codec AUTO serves HTTP/1.1 and HTTP/2); the route config
            // is named after the most capable protocol on the port. App Mesh produced invalid config here (RM#175).
            var protocol = protocols.Contains(Specs.PortProtocol.Grpc) ? Specs.PortProtocol.Grpc : protocols.Max;
            var proto = EnvoyNames.Protocol(protocol);
            var routeName = EnvoyNames.EgressRoute(protocol, port);
            var routeConfig = new RouteConfiguration { Name = routeName };
            routeConfig.VirtualHosts.AddRange(hosts.OrderBy(h => h.Name, StringComparer.Ordinal));
            if (allowAllCluster is not null)
            {
                routeConfig.VirtualHosts.Add(AllowAllHost(allowAllCluster));
            }

            context.Add(routeConfig);
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

        if (context.Options.AllowAmazonAwsEgress)
        {
            // App Mesh always let *.amazonaws.com:443 through, even under DROP_ALL (§2 "Egress listener").
            var cluster = Clusters.OriginalDestination(context, EnvoyNames.AmazonAwsCluster(context.Mesh));
            result.ListenerFilters.Add(Filters.TlsInspector(onlyPort: 443));
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

    /// <summary>ALLOW_ALL inside HTTP route configs: unknown hosts go to their original destination.</summary>
    private static VirtualHost AllowAllHost(string cluster) => new()
    {
        Name = EnvoyNames.AllowAllVirtualHost,
        Domains = { "*" },
        Routes = { new Route { Name = EnvoyNames.AllowAllVirtualHost, Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } } },
    };
}
