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
/// its messages, which are then serialised once. It is assembled from one part per backend service
/// (<see cref="BackendRouting"/>), which a change that does not reach the service carries to the next graph. The
/// egress listener itself carries the node's access log and tracing and stays per node (<see cref="SidecarTranslator"/>).
/// </summary>
internal sealed class EgressRouting
{
    // A node's key serialises its client policies; the parsed node object is immutable and outlives a change when its
    // row did not change (the loader reuses it), so its backends and keys are computed once per node object.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MeshResource<Specs.VirtualNodeSpec>, NodeBackends> Keys = new();

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
    /// A node's routing: from a graph's <paramref name="shared"/> ones when another node with the same backends built it
    /// already and it names no node in warnings, otherwise built for this node (from the shared backends' parts).
    /// </summary>
    public static EgressRouting For(SharedEgress? shared, MeshGraph graph, TranslatorOptions options, MeshResource<Specs.VirtualNodeSpec> node)
    {
        if (shared is null)
        {
            return Build(null, graph, options, node);
        }

        var routing = shared.Routings.GetOrBuild(KeyOf(node), static a => Build(a.shared, a.graph, a.options, a.node), (shared, graph, options, node));
        return routing.ServesNode(node.Name) ? routing : Build(shared, graph, options, node);
    }

    /// <summary>What the routing reads of a node: its distinct backends, by name, each with its effective client policy.</summary>
    public static string KeyOf(MeshResource<Specs.VirtualNodeSpec> node) => Keys.GetValue(node, BackendsOf).Key;

    /// <summary>The node's distinct backends, sorted by service name, each with its effective client policy.</summary>
    public static IReadOnlyList<EgressBackend> Backends(MeshResource<Specs.VirtualNodeSpec> node) => Keys.GetValue(node, BackendsOf).Backends;

    private static NodeBackends BackendsOf(MeshResource<Specs.VirtualNodeSpec> node)
    {
        var backends = new List<EgressBackend>();
        var key = new StringBuilder();
        foreach (var backend in (node.Spec.Backends ?? [])
            .Select(b => b.VirtualService)
            .OfType<Specs.VirtualServiceBackend>()
            .GroupBy(b => b.VirtualServiceName, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(b => b.VirtualServiceName, StringComparer.Ordinal))
        {
            // A backend's own client policy replaces the node's backendDefaults (§3 "Backend defaults").
            var policy = backend.ClientPolicy ?? node.Spec.BackendDefaults?.ClientPolicy;
            var own = backend.ClientPolicy is not null;
            var backendKey = $"{backend.VirtualServiceName}\n{(policy is null ? "-" : (own ? "own " : "defaults ") + Specs.SpecJson.Serialize(policy))}\n";
            backends.Add(new EgressBackend(backend.VirtualServiceName, policy, own, backendKey));
            key.Append(backendKey);
        }

        return new NodeBackends(key.ToString(), backends);
    }

    /// <summary>
    /// Assembles the node's routing from its backends' parts (<see cref="BackendRouting"/>), shared per graph when
    /// <paramref name="shared"/> is given, in the order building them in one context took: backends by name, each
    /// service's ports in order, each port's resources added as if built here (the first of two same-named messages
    /// kept, and the clash warned of), and a TCP port that an earlier backend took left out with its resources.
    /// </summary>
    private static EgressRouting Build(SharedEgress? shared, MeshGraph graph, TranslatorOptions options, MeshResource<Specs.VirtualNodeSpec> node)
    {
        var context = new TranslationContext(graph, options);
        var http = new SortedDictionary<int, (SortedSet<Specs.PortProtocol> Protocols, List<VirtualHost> Hosts)>();
        var tcp = new SortedDictionary<int, (string Service, TcpTargets Targets)>();
        foreach (var backend in Keys.GetValue(node, BackendsOf).Backends)
        {
            var part = BackendRouting.For(shared?.Backends, graph, options, node.Name, backend);
            foreach (var warning in part.Warnings)
            {
                context.Warn(warning);
            }

            foreach (var port in part.Ports)
            {
                if (port.Port.Protocol == Specs.PortProtocol.Tcp)
                {
                    if (tcp.TryGetValue(port.Port.Port, out var taken))
                    {
                        // Egress matches TCP on the destination port alone, so one TCP service per port (RM#195).
                        context.Warn(WarningKind.Conflict, $"{BackendRouting.Where(node.Name, part.Service)}: TCP port {port.Port.Port} is already taken by virtualService/{taken.Service}; not reachable from this node");
                        continue;
                    }

                    context.AddAll(port.Resources);
                    if (port.Tcp is { } targets)
                    {
                        tcp.Add(port.Port.Port, (part.Service, targets));
                    }

                    continue;
                }

                if (!http.TryGetValue(port.Port.Port, out var entry))
                {
                    entry = (new SortedSet<Specs.PortProtocol>(), []);
                    http.Add(port.Port.Port, entry);
                }

                entry.Protocols.Add(port.Port.Protocol);
                context.AddAll(port.Resources);
                entry.Hosts.Add(port.Host!);
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
            var domains = new DomainSet(context, node.Name, port);
            routeConfig.VirtualHosts.AddRange(hosts.OrderBy(h => h.Name, StringComparer.Ordinal).Where(domains.Admits));
            if (allowAllCluster is not null && AllowAllHost(allowAllCluster) is var allowAllHost && domains.Admits(allowAllHost))
            {
                routeConfig.VirtualHosts.Add(allowAllHost);
            }

            context.Add(routeConfig);
            ports.Add((port, protocol, routeName));
        }

        var amazonAwsCluster = options.AllowAmazonAwsEgress ? Clusters.OriginalDestination(context, EnvoyNames.AmazonAwsCluster(context.Mesh)) : null;
        return new EgressRouting(node.Name, new EgressListenerInputs(ports, tcp, allowAllCluster, amazonAwsCluster), context.ToResources());
    }

    /// <summary>ALLOW_ALL inside HTTP route configs: unknown hosts go to their original destination.</summary>
    private static VirtualHost AllowAllHost(string cluster) => new()
    {
        Name = EnvoyNames.AllowAllVirtualHost,
        Domains = { "*" },
        Routes = { new Route { Name = EnvoyNames.AllowAllVirtualHost, Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } } },
    };

    /// <summary>
    /// The domains of one route configuration's virtual hosts so far. Envoy compares domains in ASCII lower case and
    /// refuses a whole route configuration that repeats one (and a second "*"), so a host whose domain an earlier host
    /// has (virtual services "Svc" and "svc", or "*" and the mesh's ALLOW_ALL host) is left out with a warning rather
    /// than sent: the first, in order of name, keeps it.
    /// </summary>
    private sealed class DomainSet(TranslationContext context, string nodeName, int port)
    {
        private readonly Dictionary<string, string> owners = new(StringComparer.Ordinal);

        public bool Admits(VirtualHost host)
        {
            var keys = host.Domains.Select(AsciiLower).ToList();
            if (keys.FirstOrDefault(owners.ContainsKey) is { } clash)
            {
                context.Warn(WarningKind.Conflict, $"virtualNode/{nodeName} port {port}: {Describe(host.Name)} left out: its domain '{clash}' is {Describe(owners[clash])}'s too, "
                    + "and Envoy, which compares domains without regard to case, refuses a route configuration that repeats one");
                return false;
            }

            foreach (var key in keys)
            {
                owners[key] = host.Name;
            }

            return true;
        }

        private static string Describe(string hostName) =>
            hostName == EnvoyNames.AllowAllVirtualHost ? "the mesh's ALLOW_ALL egress" : $"virtualService/{hostName}";

        private static string AsciiLower(string domain) =>
            string.Create(domain.Length, domain, static (chars, text) =>
            {
                for (var i = 0; i < text.Length; i++)
                {
                    chars[i] = text[i] is >= 'A' and <= 'Z' ? (char)(text[i] + ('a' - 'A')) : text[i];
                }
            });
    }

    /// <summary>A node's distinct backends, by name, and its key (<see cref="KeyOf"/>): their keys in that order.</summary>
    private sealed record NodeBackends(string Key, IReadOnlyList<EgressBackend> Backends);
}
