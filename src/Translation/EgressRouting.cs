using System.Collections.Concurrent;
using System.Text;
using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// The part of a sidecar's egress that depends on the graph and the node's backends alone (each backend service
/// with its effective client policy), not on which node asks: the per-port route configurations (one virtual host
/// per backend), the clusters, endpoints and secrets they lead to, and what the egress listener needs to know
/// about the ports. Every client node calling the same services with the same policies gets an equal one, so
/// <see cref="MeshTranslator"/> builds it once per graph and key (<see cref="KeyOf"/>) and the identities share
/// its messages, which are then serialised once. The egress listener itself carries the node's access log and
/// tracing and stays per node (<see cref="SidecarTranslator"/>).
/// </summary>
internal sealed class EgressRouting
{
    // A node's key serialises its client policies; the parsed node object is immutable and outlives a change when its
    // row did not change (the loader reuses it), so the key is computed once per node object.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MeshResource<Specs.VirtualNodeSpec>, string> Keys = new();

    private EgressRouting(string builtFor, EgressListenerInputs listener, ProxyResources resources)
    {
        BuiltFor = builtFor;
        Listener = listener;
        Resources = resources;
    }

    /// <summary>The node whose name the <see cref="ProxyResources.Warnings"/> carry.</summary>
    public string BuiltFor { get; }

    /// <summary>What the egress listener reads of this routing: its ports, TCP targets and passthrough clusters.</summary>
    public EgressListenerInputs Listener { get; }

    /// <summary>Route configurations, clusters, endpoints, secrets; warnings naming <see cref="BuiltFor"/>.</summary>
    public ProxyResources Resources { get; }

    /// <summary>
    /// Whether a node may use this instead of its own: the messages are the same for every node with the same key;
    /// only the warnings name the node, so a result with warnings is used only by the node it was built for.
    /// </summary>
    public bool ServesNode(string nodeName) => Resources.Warnings.Count == 0 || string.Equals(BuiltFor, nodeName, StringComparison.Ordinal);

    /// <summary>
    /// A node's routing: from a graph's <paramref name="shared"/> ones (<see cref="MeshTranslator"/>) when another node
    /// with the same backends built it already and it names no node in warnings, otherwise built for this node.
    /// </summary>
    public static EgressRouting For(ConcurrentDictionary<string, EgressRouting>? shared, MeshGraph graph, TranslatorOptions options, MeshResource<Specs.VirtualNodeSpec> node)
    {
        if (shared is null)
        {
            return Build(graph, options, node);
        }

        var routing = shared.GetOrAdd(KeyOf(node), static (_, a) => Build(a.graph, a.options, a.node), (graph, options, node));
        return routing.ServesNode(node.Name) ? routing : Build(graph, options, node);
    }

    /// <summary>What the routing reads of a node: its distinct backends, by name, each with its effective client policy.</summary>
    public static string KeyOf(MeshResource<Specs.VirtualNodeSpec> node) => Keys.GetValue(node, ComputeKey);

    private static string ComputeKey(MeshResource<Specs.VirtualNodeSpec> node)
    {
        var key = new StringBuilder();
        foreach (var backend in Backends(node))
        {
            var policy = backend.ClientPolicy ?? node.Spec.BackendDefaults?.ClientPolicy;
            key.Append(backend.VirtualServiceName).Append('\n')
                .Append(policy is null ? "-" : Specs.SpecJson.Serialize(policy)).Append('\n');
        }

        return key.ToString();
    }

    public static EgressRouting Build(MeshGraph graph, TranslatorOptions options, MeshResource<Specs.VirtualNodeSpec> node)
    {
        var context = new TranslationContext(graph, options);
        var http = new SortedDictionary<int, (SortedSet<Specs.PortProtocol> Protocols, List<VirtualHost> Hosts)>();
        var tcp = new SortedDictionary<int, (string Service, TcpTargets Targets)>();
        foreach (var backend in Backends(node))
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

        var allowAll = graph.Mesh.EgressFilter?.Type == Specs.EgressFilterType.AllowAll;
        var allowAllCluster = allowAll ? Clusters.OriginalDestination(context, EnvoyNames.AllowAllCluster(context.Mesh)) : null;
        var ports = new List<(int Port, Specs.PortProtocol Protocol, string RouteName)>();
        foreach (var (port, (protocols, hosts)) in http)
        {
            // One HCM per port whatever the HTTP flavour (codec AUTO serves HTTP/1.1 and HTTP/2); the route config
            // is named after the most capable protocol on the port. App Mesh produced invalid config here (RM#175).
            var protocol = protocols.Contains(Specs.PortProtocol.Grpc) ? Specs.PortProtocol.Grpc : protocols.Max;
            var routeName = EnvoyNames.EgressRoute(protocol, port);
            var routeConfig = new RouteConfiguration { Name = routeName };
            routeConfig.VirtualHosts.AddRange(hosts.OrderBy(h => h.Name, StringComparer.Ordinal));
            if (allowAllCluster is not null)
            {
                routeConfig.VirtualHosts.Add(AllowAllHost(allowAllCluster));
            }

            context.Add(routeConfig);
            ports.Add((port, protocol, routeName));
        }

        var amazonAwsCluster = options.AllowAmazonAwsEgress ? Clusters.OriginalDestination(context, EnvoyNames.AmazonAwsCluster(context.Mesh)) : null;
        return new EgressRouting(node.Name, new EgressListenerInputs(ports, tcp, allowAllCluster, amazonAwsCluster), context.ToResources());
    }

    private static IEnumerable<Specs.VirtualServiceBackend> Backends(MeshResource<Specs.VirtualNodeSpec> node) =>
        (node.Spec.Backends ?? [])
            .Select(b => b.VirtualService)
            .OfType<Specs.VirtualServiceBackend>()
            .GroupBy(b => b.VirtualServiceName, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(b => b.VirtualServiceName, StringComparer.Ordinal);

    /// <summary>ALLOW_ALL inside HTTP route configs: unknown hosts go to their original destination.</summary>
    private static VirtualHost AllowAllHost(string cluster) => new()
    {
        Name = EnvoyNames.AllowAllVirtualHost,
        Domains = { "*" },
        Routes = { new Route { Name = EnvoyNames.AllowAllVirtualHost, Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } } },
    };
}
