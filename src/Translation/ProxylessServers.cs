using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Model.Graph;
using Mesh.Model.Identity;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// xDS-enabled gRPC servers (gRFC A36) standing for a virtual node: a server bound to <c>IP:PORT</c> asks for the
/// Listener its bootstrap's <c>server_listener_resource_name_template</c> makes of that address, and serves only once
/// it has one whose socket address is the one it bound. A node's http2 and grpc listeners are offered, on demand, at
/// the two addresses servers bind to take every interface (<c>0.0.0.0</c> and <c>[::]</c>), under the template Mesh's
/// proxyless bootstraps set (<see cref="GrpcServerListener.Template"/>). Each holds one plaintext filter chain whose HTTP
/// connection manager routes every call to the server itself (a <c>non_forwarding_action</c>).
/// A STRICT TLS listener is not offered: gRPC takes TLS only from certificate-provider plugins, which this control
/// plane cannot fill, and serving it in plaintext would undo what STRICT asks for. Its server is told that the
/// listener does not exist, which the proxy's status shows.
/// </summary>
internal static class ProxylessServers
{
    /// <summary>The addresses offered per port, as the server writes them in the name and as the Listener's address.</summary>
    private static readonly (string InName, string Address)[] AnyAddresses = [("0.0.0.0", "0.0.0.0"), ("[::]", "::")];

    /// <summary>Per node object (a graph's nodes are immutable): its server ports and its proxyless bundle's key.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MeshResource<Specs.VirtualNodeSpec>, NodeServers> Servers = new();

    /// <summary>The ports a node's gRPC servers are offered listeners on, sorted: what <see cref="For"/> depends on.</summary>
    public static IReadOnlyList<int> PortsOf(MeshResource<Specs.VirtualNodeSpec> node) => Servers.GetValue(node, Read).Ports;

    /// <summary>
    /// The key of the node's proxyless bundle: its egress routing's (<see cref="EgressRouting.KeyOf"/>), and the ports
    /// its servers' listeners (part of the bundle) are on. Made once per node object, not on every translation.
    /// </summary>
    public static string BundleKeyOf(MeshResource<Specs.VirtualNodeSpec> node) => Servers.GetValue(node, Read).BundleKey;

    private static NodeServers Read(MeshResource<Specs.VirtualNodeSpec> node)
    {
        var ports = Ports(node);
        var routing = EgressRouting.KeyOf(node);
        return new NodeServers(ports, ports.Count == 0 ? routing : $"{routing}\ngrpc-servers:{string.Join(',', ports)}");
    }

    private static IReadOnlyList<int> Ports(MeshResource<Specs.VirtualNodeSpec> node) =>
        [.. (node.Spec.Listeners ?? [])
            .Where(l => l.PortMapping.Protocol is Specs.PortProtocol.Grpc or Specs.PortProtocol.Http2
                        && l.Tls?.Mode != Specs.ListenerTlsMode.Strict)
            .Select(l => l.PortMapping.Port)
            .Distinct()
            .Order()];

    /// <summary>The listeners offered for <paramref name="ports"/>, sorted by name.</summary>
    public static IEnumerable<Listener> For(IReadOnlyList<int> ports) =>
        ports.SelectMany(port => AnyAddresses.Select(any => Listener(any.InName, any.Address, (uint)port)))
            .OrderBy(l => l.Name, StringComparer.Ordinal);

    private static Listener Listener(string inName, string address, uint port)
    {
        var hcm = new HttpConnectionManager
        {
            StatPrefix = "proxyless_server",
            CodecType = HttpConnectionManager.Types.CodecType.Auto,
            RouteConfig = new RouteConfiguration
            {
                Name = $"proxyless_server_{port}",
                VirtualHosts =
                {
                    new VirtualHost
                    {
                        Name = "any",
                        Domains = { "*" },
                        Routes = { new Route { Match = new RouteMatch { Prefix = "/" }, NonForwardingAction = new NonForwardingAction() } },
                    },
                },
            },
            HttpFilters = { Filters.RouterFilter() },
        };
        return new Listener
        {
            Name = GrpcServerListener.NameFor($"{inName}:{port}"),
            Address = Protos.SocketAddress(address, port),
            // grpc-java before 1.47 refuses a server listener that is not INBOUND; the others do not read it.
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Inbound,
            FilterChains =
            {
                new FilterChain
                {
                    Name = "proxyless_server",
                    Filters = { new Filter { Name = Filters.HttpConnectionManagerName, TypedConfig = Protos.Pack(hcm) } },
                },
            },
        };
    }

    private sealed record NodeServers(IReadOnlyList<int> Ports, string BundleKey);
}
