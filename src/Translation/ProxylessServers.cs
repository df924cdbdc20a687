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
/// the two addresses servers bind to take every interface (<c>0.0.0.0</c> and <c>[::]</c>), and at the node's own IP
/// address when its DNS hostname is one, under the template Mesh's
/// proxyless bootstraps set (<see cref="GrpcServerListener.Template"/>). Each holds one plaintext filter chain whose HTTP
/// connection manager routes every call to the server itself (a <c>non_forwarding_action</c>).
/// A STRICT listener's chain takes TLS only, from the certificate provider instances Mesh's gRPC bootstrap defines for
/// its file certificate and trust (gRFC A29, <see cref="Tls.ProxylessDownstream"/>). One gRPC cannot serve as App Mesh
/// defines it (an SDS or ACM certificate or trust, client SANs to check) is not offered: serving it in plaintext, or
/// with less checking, would undo what STRICT asks for. Its server is told that the listener does not exist, and the
/// node's translation warns why (<see cref="WarningsOf"/>), which the proxy's status shows. A PERMISSIVE listener is served in plaintext: a gRPC server cannot take both on one port.
/// </summary>
internal static class ProxylessServers
{
    /// <summary>The addresses offered per port, as the server writes them in the name and as the Listener's address.</summary>
    private static readonly (string InName, string Address)[] AnyAddresses = [("0.0.0.0", "0.0.0.0"), ("[::]", "::")];

    /// <summary>Per node object (a graph's nodes are immutable): its servers' listeners and its proxyless bundle's key.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MeshResource<Specs.VirtualNodeSpec>, NodeServers> Servers = new();

    /// <summary>
    /// The listeners a node's gRPC servers are offered, sorted by name: each port, at each address. Built once per node
    /// object, so every bundle and graph that node object reaches shares the same messages (serialised once).
    /// </summary>
    public static IReadOnlyList<Listener> ListenersOf(MeshResource<Specs.VirtualNodeSpec> node) => Servers.GetValue(node, Read).Listeners;

    /// <summary>
    /// The key of the node's proxyless bundle: its egress routing's (<see cref="EgressRouting.KeyOf"/>), and the ports
    /// (with their TLS) and own address its servers' listeners (part of the bundle) are on. Made once per node object,
    /// not on every translation.
    /// </summary>
    public static string BundleKeyOf(MeshResource<Specs.VirtualNodeSpec> node) => Servers.GetValue(node, Read).BundleKey;

    /// <summary>
    /// Why each of the node's STRICT gRPC ports gRPC cannot serve is not offered to its servers. Per node, not part of
    /// the shared bundle: the bundle's key holds only the ports that are offered, so nodes sharing it may differ here.
    /// </summary>
    public static IReadOnlyList<TranslationWarning> WarningsOf(MeshResource<Specs.VirtualNodeSpec> node) => Servers.GetValue(node, Read).Warnings;

    private static NodeServers Read(MeshResource<Specs.VirtualNodeSpec> node)
    {
        var warnings = new List<TranslationWarning>();
        var ports = Ports(node, warnings);
        var routing = EgressRouting.KeyOf(node);
        var own = OwnAddress(node);
        IReadOnlyList<(string InName, string Address)> addresses = own is { } at ? [.. AnyAddresses, at] : AnyAddresses;
        return new NodeServers(
            [.. ports.SelectMany(port => addresses.Select(a => Listener(a.InName, a.Address, port))).OrderBy(l => l.Name, StringComparer.Ordinal)],
            ports.Count == 0 ? routing : $"{routing}\ngrpc-servers:{string.Join(',', ports.Select(p => p.Key))}@{own?.InName}",
            warnings);
    }

    /// <summary>
    /// The address a server may bind besides every interface: the node's DNS hostname when it is an IP address
    /// written the way gRPC writes the address it bound (a VM's own address, as App Mesh users name VMs).
    /// </summary>
    private static (string InName, string Address)? OwnAddress(MeshResource<Specs.VirtualNodeSpec> node)
    {
        if (node.Spec.ServiceDiscovery?.Dns?.Hostname is not { } hostname
            || !System.Net.IPAddress.TryParse(hostname, out var ip)
            || ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any))
        {
            return null;
        }

        var address = ip.ToString();
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return string.Equals(address, hostname, StringComparison.OrdinalIgnoreCase) ? ($"[{address}]", address) : null;
        }

        return address == hostname ? (address, address) : null;
    }

    private static IReadOnlyList<ServerPort> Ports(MeshResource<Specs.VirtualNodeSpec> node, List<TranslationWarning> warnings)
    {
        var ports = new SortedDictionary<int, ServerPort>();
        foreach (var listener in node.Spec.Listeners ?? [])
        {
            var port = listener.PortMapping.Port;
            if (listener.PortMapping.Protocol is not (Specs.PortProtocol.Grpc or Specs.PortProtocol.Http2) || ports.ContainsKey(port))
            {
                continue;
            }

            if (listener.Tls is not { Mode: Specs.ListenerTlsMode.Strict } strict)
            {
                ports.Add(port, new ServerPort(port, null));
            }
            else if (Tls.ProxylessDownstream(strict, out var notOffered) is { } tls)
            {
                ports.Add(port, new ServerPort(port, tls));
            }
            else
            {
                warnings.Add(new TranslationWarning(WarningKind.CertificateUndeliverable, $"virtualNode/{node.Name} listener {port}: proxyless gRPC servers are not offered its listener, so they do not serve on it: it is STRICT, and {notOffered}"));
            }
        }

        return [.. ports.Values];
    }

    private static Listener Listener(string inName, string address, ServerPort server)
    {
        var port = (uint)server.Port;
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
                    TransportSocket = server.Tls is { } tls ? Tls.Socket(tls) : null,
                },
            },
        };
    }

    private sealed record NodeServers(IReadOnlyList<Listener> Listeners, string BundleKey, IReadOnlyList<TranslationWarning> Warnings);
}

/// <summary>A port a node's gRPC servers are offered a listener on, and the TLS its chain takes (none: plaintext).</summary>
internal sealed record ServerPort(int Port, Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext? Tls)
{
    /// <summary>What tells this port's listeners from another's in a bundle key: the port, and the TLS context's instances.</summary>
    public string Key { get; } = Tls is null ? $"{Port}"
        : $"{Port}/tls:{Tls.CommonTlsContext.TlsCertificateProviderInstance.InstanceName}/{Tls.CommonTlsContext.ValidationContext?.CaCertificateProviderInstance.InstanceName}";
}
