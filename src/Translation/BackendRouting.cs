using System.Collections.Concurrent;
using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// One backend service's part of a sidecar's <see cref="EgressRouting"/>, for one client policy: per port of the
/// service, its virtual host (HTTP, HTTP/2, gRPC) or TCP targets, with the clusters, endpoints, secrets and warnings
/// they need. <see cref="EgressRouting"/> assembles a node's routing from its backends' parts, so that a route change
/// rebuilds the part of the service it reaches and keeps the others: they read only what
/// <see cref="ProxyDependencies"/> walks from the service (its provider, a router's routes and their target nodes,
/// their Cloud Map services) and the mesh, so <see cref="MeshTranslator.MeshChanged"/> carries the parts of the
/// services a change does not reach to the new graph, and their messages are neither built nor serialised again.
/// </summary>
internal sealed class BackendRouting
{
    private readonly bool _namesNode;

    private BackendRouting(string service, string builtFor, IReadOnlyList<TranslationWarning> warnings, IReadOnlyList<PortRouting> ports)
    {
        Service = service;
        BuiltFor = builtFor;
        Warnings = warnings;
        Ports = ports;
        _namesNode = warnings.Count > 0 || ports.Any(p => p.Resources.Warnings.Count > 0);
    }

    public string Service { get; }

    /// <summary>The node whose name the warnings carry (in their "virtualNode/… backend …" prefix).</summary>
    public string BuiltFor { get; }

    /// <summary>The service's own, before any port's: it does not exist or has no provider.</summary>
    public IReadOnlyList<TranslationWarning> Warnings { get; }

    /// <summary>The service's ports in <see cref="ServiceRouting.Ports"/>' order, each translated in a context of its own.</summary>
    public IReadOnlyList<PortRouting> Ports { get; }

    /// <summary>
    /// Whether a node may use this part: the messages are the same for every node calling the service with this client
    /// policy; only the warnings name the node, so a part with warnings is used only by the node it was built for.
    /// </summary>
    public bool ServesNode(string nodeName) => !_namesNode || string.Equals(BuiltFor, nodeName, StringComparison.Ordinal);

    /// <summary>
    /// A node's part for <paramref name="backend"/>: from the graph's <paramref name="shared"/> ones when another node
    /// (or the previous graph, <see cref="MeshTranslator.MeshChanged"/>) built it and it names no other node in warnings,
    /// otherwise built for this node.
    /// </summary>
    public static BackendRouting For(ConcurrentDictionary<string, BackendRouting>? shared, MeshGraph graph, TranslatorOptions options, string nodeName, EgressBackend backend)
    {
        if (shared is null)
        {
            return Build(graph, options, nodeName, backend);
        }

        var part = shared.GetOrAdd(backend.Key, static (_, a) => Build(a.graph, a.options, a.nodeName, a.backend), (graph, options, nodeName, backend));
        return part.ServesNode(nodeName) ? part : Build(graph, options, nodeName, backend);
    }

    /// <summary>
    /// Translates each port alone, TCP ones too: whether a TCP port is reachable depends on the node's other backends
    /// (the first to take a port keeps it), which <see cref="EgressRouting"/> decides when it assembles the parts.
    /// </summary>
    private static BackendRouting Build(MeshGraph graph, TranslatorOptions options, string nodeName, EgressBackend backend)
    {
        var service = backend.Service;
        var where = Where(nodeName, service);
        var flavor = new RouteFlavor(false, backend.Policy, null, backend.OwnPolicy);
        var context = new TranslationContext(graph, options);
        var ports = new List<PortRouting>();
        foreach (var port in ServiceRouting.Ports(context, service, where))
        {
            // A cause that holds on several ports (a router with no route for them, a node that cannot be reached) is
            // said once, by the service's context.
            var own = new TranslationContext(graph, options, portWarningsTo: context);
            if (port.Protocol == Specs.PortProtocol.Tcp)
            {
                var targets = ServiceRouting.Tcp(own, service, port, flavor, where);
                ports.Add(new PortRouting(port, null, targets, own.ToResources()));
                continue;
            }

            var host = new VirtualHost { Name = service, Domains = { service, $"{service}:{port.Port}" } };
            host.Routes.AddRange(ServiceRouting.HttpRoutes(own, service, port, flavor, where));
            ports.Add(new PortRouting(port, host, null, own.ToResources()));
        }

        return new BackendRouting(service, nodeName, context.ToResources().Warnings, ports);
    }

    /// <summary>How the warnings of a node's backend begin.</summary>
    public static string Where(string nodeName, string service) => $"virtualNode/{nodeName} backend virtualService/{service}";
}

/// <summary>
/// One port of a backend's routing: the virtual host for an HTTP-like port, the targets for a TCP one (null when
/// nothing is reachable), and the clusters, endpoints, secrets and warnings its translation made.
/// </summary>
internal sealed record PortRouting(ServicePort Port, VirtualHost? Host, TcpTargets? Tcp, ProxyResources Resources);

/// <summary>
/// A node's backend as its egress routing reads it: the service and its effective client policy (the backend's own, or
/// the node's backendDefaults, §3 "Backend defaults"), and <see cref="Key"/>, which holds both (the policy serialised)
/// and names the service's <see cref="BackendRouting"/> in a graph's <see cref="SharedEgress"/>.
/// </summary>
internal readonly record struct EgressBackend(string Service, Specs.ClientPolicy? Policy, bool OwnPolicy, string Key);
