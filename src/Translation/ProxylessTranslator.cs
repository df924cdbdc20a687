using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// Proxyless gRPC clients (gRFC A27). A channel to <c>xds:///NAME</c> asks for Listener <c>NAME</c>, which here is
/// <c>&lt;virtual service&gt;:&lt;port&gt;</c>, or <c>&lt;virtual service&gt;</c> when its provider has a single listener.
/// The answer is an <c>api_listener</c> whose HCM reads routes over ADS and ends with the router filter, a route
/// config with one virtual host for that name, and clusters gRPC accepts: EDS (literal-IP endpoints, or Cloud
/// Map) or LOGICAL_DNS, with TLS when the client's policy asks for it.
/// </summary>
internal static class ProxylessTranslator
{
    /// <summary>
    /// Translates <paramref name="listenerName"/> for a client whose client policy for the service is
    /// <paramref name="clientPolicy"/> (its backend's, or its backend defaults; none for a client with no virtual node):
    /// with a TLS policy, the clusters originate TLS through the bootstrap's certificate providers (gRFC A29).
    /// </summary>
    public static void Translate(TranslationContext context, string listenerName, Specs.ClientPolicy? clientPolicy)
    {
        var where = $"proxyless listener '{listenerName}'";
        var (service, requestedPort) = Parse(listenerName);
        var ports = ServiceRouting.Ports(context, service, where);
        if (ports.Count == 0)
        {
            return;
        }

        ServicePort port;
        if (requestedPort is { } p)
        {
            var found = ports.Where(x => x.Port == p).ToList();
            if (found.Count == 0)
            {
                context.Warn(WarningKind.MissingResource, $"{where}: virtualService/{service} has no listener on port {p}");
                return;
            }

            port = found[0];
        }
        else if (ports.Count == 1)
        {
            port = ports[0];
        }
        else
        {
            context.Warn(WarningKind.MissingResource, $"{where}: virtualService/{service} listens on {ports.Count} ports; ask for '{service}:<port>'");
            return;
        }

        if (port.Protocol == Specs.PortProtocol.Tcp)
        {
            context.Warn(WarningKind.RouteLeftOut, $"{where}: port {port.Port} of virtualService/{service} is TCP; gRPC needs http2 or grpc");
            return;
        }

        // Past the port, `service` and `service:port` are the same translation: their warnings are worded alike, so a
        // node's list (which holds both names) says each once.
        where = $"proxyless gRPC clients of virtualService/{service} port {port.Port}";
        var routeName = EnvoyNames.ProxylessRoute(service, port.Port);
        var hcm = Filters.Hcm("proxyless", routeName, null);
        context.Add(new Listener
        {
            Name = listenerName,
            ApiListener = new ApiListener { ApiListener_ = Protos.Pack(hcm) },
        });

        var host = new VirtualHost { Name = service };
        // The listener name is one of these two, so both spellings share one route config.
        host.Domains.AddRange([service, $"{service}:{port.Port}"]);
        host.Routes.AddRange(ServiceRouting.HttpRoutes(context, service, port, new RouteFlavor(true, clientPolicy, null), where));
        context.Add(new RouteConfiguration { Name = routeName, VirtualHosts = { host } });
    }

    private static (string Service, int? Port) Parse(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon > 0 && Mesh.Model.Wire.DecimalText.TryParseInt(name.AsSpan(colon + 1), out var port)
            ? (name[..colon], port)
            : (name, null);
    }
}
