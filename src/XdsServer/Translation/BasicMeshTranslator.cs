using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Mesh.Model.Specs;
using Mesh.XdsServer.Identity;
using static Mesh.XdsServer.Translation.EnvoyBuilders;
using EnvoyListener = Envoy.Config.Listener.V3.Listener;

namespace Mesh.XdsServer.Translation;

/// <summary>
/// A deliberately small App Mesh → Envoy translation, enough for every path of the xDS protocol and for real
/// xDS clients (Envoy and proxyless gRPC). The full translation (issue 4: matches, retries, timeouts, TLS, health
/// checks, gateway two-stage routing) replaces it behind <see cref="IMeshTranslator"/>. What it does:
/// <list type="bullet">
/// <item>virtual node listeners → <c>lds_ingress_0.0.0.0_15000</c> (one chain per port) → <c>rds_ingress_&lt;proto&gt;_&lt;port&gt;</c> →
/// STATIC <c>cds_ingress_&lt;mesh&gt;_&lt;vn&gt;_&lt;proto&gt;_&lt;port&gt;</c> at 127.0.0.1;</item>
/// <item>backends → <c>lds_egress_0.0.0.0_15001</c> → <c>rds_egress_&lt;proto&gt;_&lt;port&gt;</c> with one virtual host per service
/// (domains <c>vs</c>, <c>vs:port</c>), routes by prefix and priority to <c>cds_egress_&lt;mesh&gt;_&lt;vn&gt;_&lt;proto&gt;_&lt;port&gt;</c>;
/// a provider whose DNS hostname is a literal IP becomes an EDS cluster with that endpoint, any other hostname a
/// LOGICAL_DNS cluster, Cloud Map an EDS cluster with no endpoints yet;</item>
/// <item>for proxyless gRPC, on-demand listeners <c>vs</c> and <c>vs:port</c> holding an api_listener that uses the same route configuration;</item>
/// <item>ALLOW_ALL → a catch-all chain and virtual host to the ORIGINAL_DST cluster <c>cds_egress_&lt;mesh&gt;_mesh-allow-all</c>;</item>
/// <item>a virtual gateway listener → <c>lds_ingress_0.0.0.0_&lt;port&gt;</c>, gateway routes by prefix straight to the target
/// service's egress clusters (no self-redirect stage).</item>
/// </list>
/// </summary>
public sealed class BasicMeshTranslator : IMeshTranslator
{
    private const int IngressPort = 15000;
    private const int EgressPort = 15001;

    public ProxyResources Translate(MeshGraph mesh, ProxyIdentity proxy)
    {
        var output = new Output();
        if (proxy.Kind == ProxyKind.VirtualNode)
        {
            var node = mesh.FindVirtualNode(proxy.Name) ?? throw new TranslationException($"virtual node {proxy.Name} is not in mesh {mesh.MeshName}");
            Ingress(mesh, node, output);
            Egress(mesh, node.Spec.Backends?.Select(b => b.VirtualService?.VirtualServiceName).OfType<string>() ?? [], output);
        }
        else
        {
            var gateway = mesh.FindVirtualGateway(proxy.Name) ?? throw new TranslationException($"virtual gateway {proxy.Name} is not in mesh {mesh.MeshName}");
            Gateway(mesh, gateway, output);
        }

        return output.ToResources();
    }

    private static void Ingress(MeshGraph mesh, MeshResource<VirtualNodeSpec> node, Output output)
    {
        var listeners = node.Spec.Listeners ?? [];
        if (listeners.Count == 0)
        {
            return; // App Mesh: a node without listeners gets no ingress listener
        }

        var ingress = InterceptingListener($"lds_ingress_0.0.0.0_{IngressPort}", IngressPort, TrafficDirection.Inbound);
        foreach (var listener in listeners.OrderBy(l => l.PortMapping.Port))
        {
            var (port, protocol) = (listener.PortMapping.Port, listener.PortMapping.Protocol);
            var proto = Wire(protocol);
            var cluster = $"cds_ingress_{mesh.MeshName}_{node.Name}_{proto}_{port}";
            output.Clusters[cluster] = StaticCluster(cluster, "127.0.0.1", port, protocol);
            if (IsHttpFamily(protocol))
            {
                var routeName = $"rds_ingress_{proto}_{port}";
                ingress.FilterChains.Add(PortChain($"ingress_{proto}_{port}", port, HcmFilter(listeners.Count > 1 ? $"ingress.{proto}.{port}" : "ingress", routeName)));
                var host = new VirtualHost { Name = "ingress", Domains = { "*" } };
                host.Routes.Add(PrefixRoute("ingress", "/", [(cluster, 1)]));
                output.Routes[routeName] = RouteConfig(routeName, [host]);
            }
            else
            {
                ingress.FilterChains.Add(PortChain($"ingress_{proto}_{port}", port, TcpProxyFilter("ingress", cluster)));
            }
        }

        output.Listeners[ingress.Name] = ingress;
    }

    private static void Egress(MeshGraph mesh, IEnumerable<string> services, Output output)
    {
        var http = new SortedDictionary<int, (PortProtocol Protocol, List<VirtualHost> Hosts)>();
        var tcp = new SortedDictionary<int, string>();
        foreach (var service in services.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var ports = PortsOf(mesh, service, output);
            foreach (var port in ports)
            {
                if (IsHttpFamily(port.Protocol))
                {
                    if (!http.TryGetValue(port.Port, out var group))
                    {
                        group = http[port.Port] = (port.Protocol, []);
                    }

                    var host = new VirtualHost { Name = service, Domains = { service, $"{service}:{port.Port}" } };
                    host.Routes.AddRange(port.Routes.Select(r => PrefixRoute(r.Name, r.Prefix, r.Targets)));
                    group.Hosts.Add(host);
                    var routeName = $"rds_egress_{Wire(group.Protocol)}_{port.Port}";
                    output.OnDemandListeners.TryAdd(service, ApiListener(service, routeName));
                    output.OnDemandListeners[$"{service}:{port.Port}"] = ApiListener($"{service}:{port.Port}", routeName);
                }
                else if (port.Routes.Count > 0 && !tcp.ContainsKey(port.Port))
                {
                    // App Mesh matches TCP on the destination port alone: one TCP service per port (RM#195).
                    tcp[port.Port] = port.Routes[0].Targets[0].Cluster;
                }
            }
        }

        var allowAll = mesh.Mesh.EgressFilter?.Type == EgressFilterType.AllowAll;
        var allowAllCluster = $"cds_egress_{mesh.MeshName}_mesh-allow-all";
        if (http.Count == 0 && tcp.Count == 0 && !allowAll)
        {
            return;
        }

        var egress = InterceptingListener($"lds_egress_0.0.0.0_{EgressPort}", EgressPort, TrafficDirection.Outbound);
        foreach (var (port, (protocol, hosts)) in http)
        {
            var routeName = $"rds_egress_{Wire(protocol)}_{port}";
            if (allowAll)
            {
                var host = new VirtualHost { Name = "mesh_allow_all", Domains = { "*" } };
                host.Routes.Add(PrefixRoute("mesh_allow_all", "/", [(allowAllCluster, 1)]));
                hosts.Add(host);
            }

            output.Routes[routeName] = RouteConfig(routeName, hosts);
            egress.FilterChains.Add(PortChain($"egress_{Wire(protocol)}_{port}", port, HcmFilter("egress", routeName)));
        }

        foreach (var (port, cluster) in tcp.Where(t => !http.ContainsKey(t.Key)))
        {
            egress.FilterChains.Add(PortChain($"egress_tcp_{port}", port, TcpProxyFilter("egress", cluster)));
        }

        if (allowAll)
        {
            output.Clusters[allowAllCluster] = OriginalDstCluster(allowAllCluster);
            egress.DefaultFilterChain = new Envoy.Config.Listener.V3.FilterChain { Name = "mesh_allow_all", Filters = { TcpProxyFilter("egress", allowAllCluster) } };
        }

        output.Listeners[egress.Name] = egress;
    }

    private static void Gateway(MeshGraph mesh, VirtualGatewayResource gateway, Output output)
    {
        foreach (var listener in gateway.Spec.Listeners.OrderBy(l => l.PortMapping.Port))
        {
            var (port, protocol) = (listener.PortMapping.Port, listener.PortMapping.Protocol);
            if (!IsHttpFamily(protocol))
            {
                continue; // gateways accept http, http2 and grpc only
            }

            var proto = Wire(protocol);
            var routeName = $"rds_ingress_{proto}_{port}";
            var host = new VirtualHost { Name = "gateway", Domains = { "*" } };
            var routes = gateway.GatewayRoutes
                .Select(r => (r.Name, r.Spec.Priority, Route: GatewayRouteOf(r.Spec, protocol)))
                .Where(r => r.Route is { } x && (x.Port is null || x.Port == port))
                .OrderBy(r => r.Priority ?? int.MaxValue)
                .ThenByDescending(r => r.Route!.Value.Prefix.Length)
                .ThenBy(r => r.Name, StringComparer.Ordinal);
            foreach (var (name, _, route) in routes)
            {
                var (prefix, target, targetPort, _) = route!.Value;
                var servicePort = PortsOf(mesh, target, output).FirstOrDefault(p => IsHttpFamily(p.Protocol) && (targetPort is null || p.Port == targetPort));
                if (servicePort?.Routes.FirstOrDefault() is { } first)
                {
                    host.Routes.Add(PrefixRoute(name, prefix, first.Targets));
                }
            }

            var ingress = new EnvoyListener
            {
                Name = $"lds_ingress_0.0.0.0_{port}",
                Address = SocketAddress("0.0.0.0", port),
                TrafficDirection = TrafficDirection.Inbound,
                FilterChains = { new Envoy.Config.Listener.V3.FilterChain { Name = $"ingress_{proto}_{port}", Filters = { HcmFilter("ingress", routeName) } } },
            };
            output.Listeners[ingress.Name] = ingress;
            output.Routes[routeName] = RouteConfig(routeName, [host]);
        }
    }

    private static (string Prefix, string Service, int? TargetPort, int? Port)? GatewayRouteOf(GatewayRouteSpec spec, PortProtocol protocol) => protocol switch
    {
        PortProtocol.Http when spec.HttpRoute is { } r => (r.Match.Prefix ?? "/", r.Action.Target.VirtualService.VirtualServiceName, r.Action.Target.Port, r.Match.Port),
        PortProtocol.Http2 when spec.Http2Route is { } r => (r.Match.Prefix ?? "/", r.Action.Target.VirtualService.VirtualServiceName, r.Action.Target.Port, r.Match.Port),
        PortProtocol.Grpc when spec.GrpcRoute is { } r => (r.Match.ServiceName is { } s ? $"/{s}/" : "/", r.Action.Target.VirtualService.VirtualServiceName, r.Action.Target.Port, r.Match.Port),
        _ => null,
    };

    /// <summary>The ports a virtual service offers, through its provider; clusters for every target are added to the output.</summary>
    private static List<ServicePort> PortsOf(MeshGraph mesh, string serviceName, Output output)
    {
        var provider = mesh.ProviderOf(serviceName);
        var ports = new List<ServicePort>();
        if (provider?.VirtualNode is { } node)
        {
            foreach (var listener in (node.Spec.Listeners ?? []).OrderBy(l => l.PortMapping.Port))
            {
                var cluster = EgressCluster(mesh, node, listener.PortMapping.Protocol, listener.PortMapping.Port, output);
                ports.Add(new ServicePort(listener.PortMapping.Port, listener.PortMapping.Protocol, [new ServiceRoute("default", "/", [(cluster, 1)])]));
            }
        }
        else if (provider?.VirtualRouter is { } router)
        {
            foreach (var listener in (router.Spec.Listeners ?? []).OrderBy(l => l.PortMapping.Port))
            {
                var (port, protocol) = (listener.PortMapping.Port, listener.PortMapping.Protocol);
                var routes = new List<ServiceRoute>();
                var ordered = router.Routes
                    .Select(r => (r.Name, r.Spec.Priority, Route: RouteOf(r.Spec, protocol)))
                    .Where(r => r.Route is { } x && (x.Port is null || x.Port == port))
                    .OrderBy(r => r.Priority ?? int.MaxValue)
                    .ThenByDescending(r => r.Route!.Value.Prefix.Length)
                    .ThenBy(r => r.Name, StringComparer.Ordinal);
                foreach (var (name, _, route) in ordered)
                {
                    var targets = new List<(string, int)>();
                    foreach (var target in route!.Value.Targets)
                    {
                        var targetNode = mesh.FindVirtualNode(target.VirtualNode);
                        var targetPort = target.Port ?? targetNode?.Spec.Listeners?.FirstOrDefault(l => l.PortMapping.Protocol == protocol)?.PortMapping.Port;
                        if (targetNode is not null && targetPort is { } p)
                        {
                            targets.Add((EgressCluster(mesh, targetNode, protocol, p, output), target.Weight));
                        }
                    }

                    if (targets.Count > 0)
                    {
                        routes.Add(new ServiceRoute(name, route.Value.Prefix, targets));
                    }
                }

                ports.Add(new ServicePort(port, protocol, routes));
            }
        }

        return ports;
    }

    private static (string Prefix, IReadOnlyList<WeightedTarget> Targets, int? Port)? RouteOf(RouteSpec spec, PortProtocol protocol) => protocol switch
    {
        PortProtocol.Http when spec.HttpRoute is { } r => (r.Match.Prefix ?? r.Match.Path?.Exact ?? "/", r.Action.WeightedTargets, r.Match.Port),
        PortProtocol.Http2 when spec.Http2Route is { } r => (r.Match.Prefix ?? r.Match.Path?.Exact ?? "/", r.Action.WeightedTargets, r.Match.Port),
        PortProtocol.Grpc when spec.GrpcRoute is { } r => (r.Match.ServiceName is { } s ? $"/{s}/" : "/", r.Action.WeightedTargets, r.Match.Port),
        PortProtocol.Tcp when spec.TcpRoute is { } r => ("/", r.Action.WeightedTargets, r.Match?.Port),
        _ => null,
    };

    private static string EgressCluster(MeshGraph mesh, MeshResource<VirtualNodeSpec> node, PortProtocol protocol, int port, Output output)
    {
        var name = $"cds_egress_{mesh.MeshName}_{node.Name}_{Wire(protocol)}_{port}";
        if (output.Clusters.ContainsKey(name))
        {
            return name;
        }

        var hostname = node.Spec.ServiceDiscovery?.Dns?.Hostname;
        if (hostname is not null && !IPAddress.TryParse(hostname, out _))
        {
            output.Clusters[name] = LogicalDnsCluster(name, hostname, port, protocol);
            return name;
        }

        // Literal IPs (and Cloud Map, whose instances this server does not resolve) go through EDS, which is
        // also the only cluster type proxyless gRPC accepts besides LOGICAL_DNS and aggregate.
        output.Clusters[name] = EdsCluster(name, protocol);
        output.Endpoints[name] = Assignment(name, hostname is null ? [] : [(hostname, port)], new Locality { Region = mesh.MeshName });
        return name;
    }

    private sealed class Output
    {
        public SortedDictionary<string, EnvoyListener> Listeners { get; } = new(StringComparer.Ordinal);

        public SortedDictionary<string, EnvoyListener> OnDemandListeners { get; } = new(StringComparer.Ordinal);

        public SortedDictionary<string, RouteConfiguration> Routes { get; } = new(StringComparer.Ordinal);

        public SortedDictionary<string, Cluster> Clusters { get; } = new(StringComparer.Ordinal);

        public SortedDictionary<string, ClusterLoadAssignment> Endpoints { get; } = new(StringComparer.Ordinal);

        public ProxyResources ToResources() => new()
        {
            Listeners = [.. Listeners.Values],
            OnDemandListeners = [.. OnDemandListeners.Values],
            Routes = [.. Routes.Values],
            Clusters = [.. Clusters.Values],
            Endpoints = [.. Endpoints.Values],
        };
    }
}
