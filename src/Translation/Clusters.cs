using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Graph;
using Mesh.Model.Observability;
using Specs = Mesh.Model.Specs;
using Mesh.Model.Resources;

namespace Mesh.Translation;

/// <summary>Clusters: the local application behind a listener, and the listeners of other nodes.</summary>
internal static class Clusters
{
    /// <summary>App Mesh's default for every circuit-breaker threshold, i.e. unlimited ([UG] envoy-defaults).</summary>
    private const uint Unlimited = 2147483647;

    private const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary><c>cds_ingress_*</c>: STATIC, loopback, carrying the listener's connection pool as circuit breakers.</summary>
    public static string LocalApp(TranslationContext context, string node, Specs.Listener listener, bool ipv6)
    {
        var port = listener.PortMapping.Port;
        var protocol = listener.PortMapping.Protocol;
        var name = EnvoyNames.IngressCluster(context.Mesh, node, protocol, port);
        var cluster = new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = Protos.Duration(context.Options.LocalAppConnectTimeout),
            LoadAssignment = Assignment(name, [(ipv6 ? "::1" : "127.0.0.1", (uint)port, null)], null),
            CircuitBreakers = Breakers(NodePool(listener.ConnectionPool)),
        };
        UseHttp2(cluster, protocol);
        context.Add(cluster);
        return name;
    }

    /// <summary>The listener of <paramref name="node"/> a target or a service reaches: the one on the port, or the only one.</summary>
    public static Specs.Listener? TargetListener(TranslationContext context, MeshResource<Specs.VirtualNodeSpec> node, int? port, string where)
    {
        var listeners = node.Spec.Listeners ?? [];
        var listener = port is { } p
            ? listeners.FirstOrDefault(l => l.PortMapping.Port == p)
            : listeners.Count == 1 ? listeners[0] : null;
        if (listener is null)
        {
            context.WarnWhyUnreachable(WarningKind.UnreachableBackend, port is { } q
                ? $"{where}: virtualNode/{node.Name} has no listener on port {q}"
                : $"{where}: virtualNode/{node.Name} has {listeners.Count} listeners, so a port is needed");
        }

        return listener;
    }

    /// <summary>
    /// Says why a node cannot be reached, once: with what the caller's requests get instead when the request says
    /// (<see cref="UpstreamRequest.Unreachable"/>), naming every port of the service it holds on in one warning. Its kind is the cause: <see cref="WarningKind.UnreachableBackend"/> unless said.
    /// </summary>
    private static void WarnUnreachable(TranslationContext context, UpstreamRequest request, string why, WarningKind kind = WarningKind.UnreachableBackend)
    {
        if (request.Unreachable is { } outcome)
        {
            var port = request.Listener.PortMapping.Port;
            context.WarnOnPort(kind, $"{request.Where}: {why}; {outcome}", port, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            context.WarnWhyUnreachable(kind, $"{request.Where}: {why}");
        }
    }

    /// <summary>
    /// <c>cds_egress_&lt;mesh&gt;_&lt;node&gt;_&lt;proto&gt;_&lt;port&gt;</c> (<c>cds_proxyless_*</c> for gRPC clients,
    /// <c>cds_proxyless-tls-*</c> when their client policy asks for TLS): how this client reaches a listener of another
    /// node. Returns null (with a warning) when the node cannot be reached: it has no service discovery, or its client
    /// policy asks for TLS a proxyless client cannot have.
    /// </summary>
    public static string? Upstream(TranslationContext context, UpstreamRequest request)
    {
        var node = request.Node;
        var listener = request.Listener;
        var port = listener.PortMapping.Port;
        var protocol = listener.PortMapping.Protocol;
        var discovery = node.Spec.ServiceDiscovery;
        if (discovery?.Dns is { Hostname: var blank } && string.IsNullOrWhiteSpace(blank))
        {
            // The API's model lets a hostname be empty, but Envoy refuses a socket address without one: sent, it would
            // have every proxy that calls this node reject its whole cluster update (a NACK), not just this cluster.
            WarnUnreachable(context, request, $"virtualNode/{node.Name} has an empty DNS hostname, so it cannot be reached");
            return null;
        }

        if (discovery?.Dns?.Hostname is { } hostnameStored && DnsHostnames.Problem(hostnameStored) is { } problem)
        {
            // The API refuses these now; stored before, Envoy would refuse such a health check Host or TLS server name
            // with every caller's whole cluster update, and no such name resolves anyway.
            WarnUnreachable(context, request, $"virtualNode/{node.Name} has a DNS hostname {problem}, so it cannot be reached");
            return null;
        }

        var defaultSans = DefaultSans(discovery);
        var policy = request.ClientPolicy?.Tls is { } tls
            && (tls.Enforce ?? true)
            && (tls.Ports is not { Count: > 0 } ports || ports.Contains(port))
            ? tls
            : null;
        WarnOfTlsMismatches(context, request, policy);
        Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext? proxylessTls = null;
        if (request.Proxyless && policy is not null)
        {
            proxylessTls = Tls.ProxylessUpstream(policy, defaultSans, out var unusable);
            if (proxylessTls is null)
            {
                WarnUnreachable(context, request, $"virtualNode/{node.Name} listener {port}: {unusable}", WarningKind.CertificateUndeliverable);
                return null;
            }
        }
        else if (request.Proxyless && listener.Tls?.Mode == Specs.ListenerTlsMode.Strict)
        {
            // gRPC originates TLS only to validate the server (gRFC A29), which needs the client policy's trust; without
            // one, a proxyless client speaks plaintext, which a STRICT listener refuses.
            context.Warn(WarningKind.TlsMismatch, $"{request.Where}: virtualNode/{node.Name} listener {port} takes TLS only (STRICT), and proxyless gRPC clients without a client policy with a file trust reach it in plaintext: their calls to it fail");
        }

        var name = !request.Proxyless ? EnvoyNames.EgressCluster(context.Mesh, node.Name, protocol, port)
            : proxylessTls is null ? EnvoyNames.ProxylessCluster(context.Mesh, node.Name, protocol, port)
            : EnvoyNames.ProxylessTlsCluster(context.Mesh, node.Name, protocol, port, Digest(proxylessTls));
        var meshPreference = context.Graph.Mesh.ServiceDiscovery?.IpPreference;
        var cluster = new Cluster { Name = name, ConnectTimeout = Protos.Duration(context.Options.UpstreamConnectTimeout) };
        if (proxylessTls is not null)
        {
            cluster.TransportSocket = Tls.Socket(proxylessTls);
        }

        string? hostname = null;
        var healthPort = listener.HealthCheck?.Port is { } hp && hp != port ? (uint?)hp : null;

        if (discovery?.Dns is { } dns)
        {
            hostname = dns.Hostname;
            cluster.DnsLookupFamily = LookupFamily(dns.IpPreference ?? meshPreference);
            if (!request.Proxyless)
            {
                WarnOfAnAddressOfTheExcludedFamily(context, request, dns.Hostname, dns.IpPreference ?? meshPreference);
            }
            if (request.Proxyless && IpLiteral.TryParse(dns.Hostname, out var ip))
            {
                // gRPC accepts EDS with literal IPs; the "resolution" is the address itself.
                UseEds(cluster);
                context.Add(Assignment(name, [(ip.ToString(), (uint)port, null)], new Locality()));
            }
            else
            {
                // gRPC has no STRICT_DNS; a proxyless client always gets LOGICAL_DNS.
                cluster.Type = dns.ResponseType == Specs.DnsResponseType.Endpoints && !request.Proxyless
                    ? Cluster.Types.DiscoveryType.StrictDns
                    : Cluster.Types.DiscoveryType.LogicalDns;
                cluster.LoadAssignment = Assignment(name, [(dns.Hostname, (uint)port, request.Proxyless ? null : healthPort)], null);
            }
        }
        else if (discovery?.AwsCloudMap is { } cloudMap)
        {
            // Endpoints are the registry's matching instances; an empty assignment (with a warning) still lets the
            // cluster finish warming instead of holding the proxy's initial load forever.
            UseEds(cluster);
            context.Add(CloudMapAssignments.Assignment(context, name, request, cloudMap, request.Proxyless ? null : healthPort));
        }
        else
        {
            WarnUnreachable(context, request, $"virtualNode/{node.Name} has no service discovery, so it cannot be reached (give it dns or awsCloudMap service discovery)");
            return null;
        }

        cluster.CircuitBreakers = Breakers(request.GatewayPool is { } gatewayPool ? GatewayPool(gatewayPool) : null);
        if (!request.Proxyless)
        {
            cluster.Metadata = AggregateStats.TargetVirtualNode(node.Name);
        }

        if (listener.OutlierDetection is { } outlier)
        {
            cluster.OutlierDetection = Outlier(outlier);
        }

        if (!request.Proxyless && listener.OutlierDetection is not null && cluster.Type == Cluster.Types.DiscoveryType.LogicalDns)
        {
            // A LOGICAL_DNS cluster has one host, the address the name resolved to last (RM#273): there is no other host
            // to send requests to instead, so detection is accepted and changes nothing, which is worth saying.
            context.Warn(WarningKind.SettingIgnored, $"{request.Where}: virtualNode/{node.Name} listener {port}: its outlier detection has only one host to eject: DNS responseType "
                + "LOADBALANCER resolves the hostname to one address at a time (a LOGICAL_DNS cluster), and Envoy either keeps that host (maxEjectionPercent) "
                + "or, with no healthy host left, sends requests to it anyway (panic mode), so no request is steered away (responseType ENDPOINTS makes a host per address)");
        }

        if (request.Proxyless && listener.OutlierDetection is not null)
        {
            // gRPC ejects by success rate or failure percentage only (gRFC A50); App Mesh's is consecutive 5xx.
            context.Warn(WarningKind.SettingIgnored, $"{request.Where}: virtualNode/{node.Name} listener {port}: its outlier detection is not applied by proxyless gRPC clients (they do not eject on consecutive errors)");
        }

        if (!request.Proxyless)
        {
            if (listener.HealthCheck is { } check)
            {
                if (check.Protocol == Specs.PortProtocol.Grpc && protocol is not (Specs.PortProtocol.Http2 or Specs.PortProtocol.Grpc))
                {
                    // Envoy refuses a gRPC health check on a cluster without HTTP/2, and the whole cluster update with
                    // it; the API refuses such a spec now, and one stored before is served without its check.
                    context.Warn(WarningKind.SettingIgnored, $"{request.Where}: virtualNode/{node.Name} listener {port}: its grpc health check is left out: the listener's protocol {EnvoyNames.Protocol(protocol)} does not speak HTTP/2");
                }
                else if (check.Protocol is Specs.PortProtocol.Http or Specs.PortProtocol.Http2 && check.Path is { } path && !HttpText.IsStrictHeaderValue(path))
                {
                    // Envoy takes the path only as a strict header value and refuses the whole cluster update for a
                    // control character in it; the API refuses such a path now, and one stored before is left out.
                    context.Warn(WarningKind.SettingIgnored, $"{request.Where}: virtualNode/{node.Name} listener {port}: its {EnvoyNames.Protocol(check.Protocol)} health check is left out: its path has a control character, which Envoy refuses");
                }
                else
                {
                    cluster.HealthChecks.Add(HealthCheck(check, hostname, port));
                    if (check.Protocol is Specs.PortProtocol.Tcp or Specs.PortProtocol.Grpc && !string.IsNullOrEmpty(check.Path))
                    {
                        // The model takes a path for every protocol; only an HTTP check sends one.
                        context.Warn(WarningKind.SettingIgnored, $"{request.Where}: virtualNode/{node.Name} listener {port}: its {EnvoyNames.Protocol(check.Protocol)} health check's path '{check.Path}' is ignored: "
                            + (check.Protocol == Specs.PortProtocol.Tcp ? "a tcp check only opens a connection" : "a grpc check asks the gRPC health service, which takes no path"));
                    }
                }
            }

            // Without a policy, a client still speaks TLS to a listener that takes it. Not to a PERMISSIVE one whose
            // certificate is ACM's: this control plane cannot deliver it, so its TLS chain never comes up, while its
            // plaintext chain serves (the listener's own translation warns of the certificate).
            var listenerTakesTls = listener.Tls?.Mode == Specs.ListenerTlsMode.Strict
                || (listener.Tls?.Mode == Specs.ListenerTlsMode.Permissive && listener.Tls.Certificate.Acm is null);
            if (policy is not null || listenerTakesTls)
            {
                cluster.TransportSocket = Tls.Socket(Tls.Upstream(policy, hostname, defaultSans, protocol, request.Where, context));
            }
        }

        if (!request.Proxyless)
        {
            // gRPC speaks HTTP/2 by itself and has no use for Envoy's upstream protocol options.
            UseHttp2(cluster, protocol);
        }

        context.Add(cluster);
        return name;
    }

    /// <summary>
    /// What a client policy and the target listener's TLS settle between them is served as written, but some pairs
    /// cannot work, or do not do what the policy seems to say; each is said (per caller cluster), not left to be found:
    /// a backend's own policy whose <c>ports</c> name no listener of the target applies to none of them; a client without
    /// a certificate cannot reach a STRICT listener whose validation makes it ask for one. A policy's TLS to a listener
    /// without tls is not warned of: that is App Mesh's TLS origination to a server outside the mesh (a node with no
    /// Envoy, whose server does TLS itself), and nothing here can tell it from an Envoy that takes plaintext only.
    /// </summary>
    private static void WarnOfTlsMismatches(TranslationContext context, UpstreamRequest request, Specs.ClientPolicyTls? policy)
    {
        var node = request.Node;
        var listener = request.Listener;
        var port = listener.PortMapping.Port;
        if (request.OwnClientPolicy && request.ClientPolicy?.Tls is { Ports: { Count: > 0 } policyPorts } written && (written.Enforce ?? true)
            && !(node.Spec.Listeners ?? []).Any(l => policyPorts.Contains(l.PortMapping.Port)))
        {
            context.Warn(WarningKind.TlsMismatch, $"{request.Where}: the backend's own client policy's TLS ports ({string.Join(", ", policyPorts)}) name no listener of virtualNode/{node.Name} "
                + $"(it listens on {string.Join(", ", (node.Spec.Listeners ?? []).Select(l => l.PortMapping.Port).Order())}), so the policy applies to none of them; list the port it is meant for");
        }

        if (!request.Proxyless && listener.Tls is { Mode: Specs.ListenerTlsMode.Strict, Validation: not null } && policy?.Certificate is null)
        {
            context.Warn(WarningKind.TlsMismatch, $"{request.Where}: virtualNode/{node.Name} listener {port} takes mutual TLS only (STRICT with validation), and this client has no client policy certificate to present, "
                + "so every connection to it is refused; give the client policy a certificate");
        }
    }

    /// <summary>
    /// A DNS hostname that is an IP literal of the family the IP preference excludes never resolves: Envoy's resolver
    /// answers a literal with itself, and drops it for being of the wrong family, so the cluster has no host.
    /// </summary>
    private static void WarnOfAnAddressOfTheExcludedFamily(TranslationContext context, UpstreamRequest request, string hostname, Specs.IpPreference? preference)
    {
        if (!IpLiteral.TryParse(hostname, out var ip))
        {
            return;
        }

        var excluded = (preference, ip.AddressFamily) switch
        {
            (Specs.IpPreference.IPv4Only, System.Net.Sockets.AddressFamily.InterNetworkV6) => "an IPv6 address, and its ipPreference is IPv4_ONLY",
            (Specs.IpPreference.IPv6Only, System.Net.Sockets.AddressFamily.InterNetwork) => "an IPv4 address, and its ipPreference is IPv6_ONLY",
            _ => null,
        };
        if (excluded is not null)
        {
            context.Warn(WarningKind.NoEndpoints, $"{request.Where}: virtualNode/{request.Node.Name}'s DNS hostname '{hostname}' is {excluded} (the node's or the mesh's), so it never resolves: "
                + "the node has no endpoints and requests to it get 503; change the hostname or the ipPreference");
        }
    }

    /// <summary>
    /// The names a server must carry when the client policy names none: its DNS hostname, or its Cloud Map
    /// <c>service.namespace</c>.
    /// </summary>
    private static IReadOnlyList<string> DefaultSans(Specs.ServiceDiscovery? discovery) =>
        discovery?.Dns is { } dns ? [dns.Hostname]
        : discovery?.AwsCloudMap is { } cloudMap ? [$"{cloudMap.ServiceName}.{cloudMap.NamespaceName}"]
        : [];

    /// <summary>16 hex digits of a TLS context's SHA-256: what tells two proxyless clusters of one listener apart.</summary>
    private static string Digest(Google.Protobuf.IMessage context) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Google.Protobuf.MessageExtensions.ToByteArray(context)).AsSpan(0, 8));

    /// <summary>App Mesh's ipPreference → dns_lookup_family table (docs/envoy-mapping.md §6).</summary>
    public static Cluster.Types.DnsLookupFamily LookupFamily(Specs.IpPreference? preference) => preference switch
    {
        Specs.IpPreference.IPv4Preferred => Cluster.Types.DnsLookupFamily.V4Preferred,
        Specs.IpPreference.IPv4Only => Cluster.Types.DnsLookupFamily.V4Only,
        Specs.IpPreference.IPv6Only => Cluster.Types.DnsLookupFamily.V6Only,
        _ => Cluster.Types.DnsLookupFamily.Auto,
    };

    /// <summary>The catch-all cluster of ALLOW_ALL and of the amazonaws passthrough: to wherever the app was connecting.</summary>
    public static string OriginalDestination(TranslationContext context, string name)
    {
        context.Add(new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.OriginalDst,
            LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
            ConnectTimeout = Protos.Duration(context.Options.UpstreamConnectTimeout),
            CircuitBreakers = Breakers(null),
        });
        return name;
    }

    /// <summary>
    /// <see cref="EnvoyNames.TracingCollectorCluster"/>: the mesh's trace collector, STATIC for an IP and STRICT_DNS
    /// for a name (every address it resolves to takes spans), HTTP/2 for OTLP/gRPC.
    /// </summary>
    public static string TracingCollector(TranslationContext context, TracingCollector collector, bool http2)
    {
        var name = EnvoyNames.TracingCollectorCluster;
        var cluster = new Cluster
        {
            Name = name,
            Type = collector.IsIpAddress ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
            ConnectTimeout = Protos.Duration(context.Options.UpstreamConnectTimeout),
            LoadAssignment = Assignment(name, [(collector.Host, (uint)collector.Port, null)], null),
            CircuitBreakers = Breakers(null),
        };
        if (!collector.IsIpAddress)
        {
            cluster.DnsLookupFamily = LookupFamily(context.Graph.Mesh.ServiceDiscovery?.IpPreference);
        }

        if (http2)
        {
            UseHttp2(cluster, Specs.PortProtocol.Grpc);
        }

        context.Add(cluster);
        return name;
    }

    /// <summary>
    /// An EDS cluster whose assignment has no endpoints, for proxyless clients' routes that reach nothing: gRPC fails
    /// every call picked into it at once with UNAVAILABLE (an empty priority list), as Envoy's 503 would.
    /// </summary>
    public static string ProxylessUnavailable(TranslationContext context)
    {
        var name = EnvoyNames.ProxylessUnavailableCluster(context.Mesh);
        var cluster = new Cluster { Name = name, ConnectTimeout = Protos.Duration(context.Options.UpstreamConnectTimeout) };
        UseEds(cluster);
        context.Add(cluster);
        context.Add(new ClusterLoadAssignment { ClusterName = name });
        return name;
    }

    private static void UseEds(Cluster cluster)
    {
        cluster.Type = Cluster.Types.DiscoveryType.Eds;
        cluster.EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = Protos.Ads() };
    }

    private static void UseHttp2(Cluster cluster, Specs.PortProtocol protocol)
    {
        if (protocol is Specs.PortProtocol.Http2 or Specs.PortProtocol.Grpc)
        {
            var options = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions
            {
                ExplicitHttpConfig = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
            };
            cluster.TypedExtensionProtocolOptions[HttpProtocolOptionsKey] = Protos.Pack(options);
        }
    }

    private static ClusterLoadAssignment Assignment(string cluster, IEnumerable<(string Address, uint Port, uint? HealthPort)> endpoints, Locality? locality)
    {
        var group = new LocalityLbEndpoints();
        if (locality is not null)
        {
            // gRPC ignores a locality without weight, and wants each locality once (docs/design.md, "Known behaviour").
            group.Locality = locality;
            group.LoadBalancingWeight = 1;
        }

        foreach (var (address, port, healthPort) in endpoints)
        {
            var endpoint = new Endpoint { Address = Protos.SocketAddress(address, port) };
            if (healthPort is { } hp)
            {
                endpoint.HealthCheckConfig = new Endpoint.Types.HealthCheckConfig { PortValue = hp };
            }

            group.LbEndpoints.Add(new LbEndpoint { Endpoint = endpoint });
        }

        var assignment = new ClusterLoadAssignment { ClusterName = cluster };
        if (group.LbEndpoints.Count > 0 || locality is not null)
        {
            assignment.Endpoints.Add(group);
        }

        return assignment;
    }

    private static (uint? Connections, uint? Pending, uint? Requests)? NodePool(Specs.VirtualNodeConnectionPool? pool) => pool switch
    {
        { Http: { } http } => ((uint)http.MaxConnections, (uint?)http.MaxPendingRequests, null),
        { Http2: { } http2 } => (null, null, (uint)http2.MaxRequests),
        { Grpc: { } grpc } => (null, null, (uint)grpc.MaxRequests),
        { Tcp: { } tcp } => ((uint)tcp.MaxConnections, null, null),
        _ => null,
    };

    private static (uint? Connections, uint? Pending, uint? Requests)? GatewayPool(Specs.VirtualGatewayConnectionPool pool) => pool switch
    {
        { Http: { } http } => ((uint)http.MaxConnections, (uint?)http.MaxPendingRequests, null),
        { Http2: { } http2 } => (null, null, (uint)http2.MaxRequests),
        { Grpc: { } grpc } => (null, null, (uint)grpc.MaxRequests),
        _ => null,
    };

    /// <summary>Connection pool → <c>circuit_breakers.thresholds[0]</c>; what the pool does not name stays unlimited.</summary>
    private static CircuitBreakers Breakers((uint? Connections, uint? Pending, uint? Requests)? pool) => new()
    {
        Thresholds =
        {
            new CircuitBreakers.Types.Thresholds
            {
                MaxConnections = pool?.Connections ?? Unlimited,
                MaxPendingRequests = pool?.Pending ?? Unlimited,
                MaxRequests = pool?.Requests ?? Unlimited,
                MaxRetries = Unlimited,
            },
        },
    };

    /// <summary>
    /// App Mesh outlier detection counts server errors only, so Envoy's success-rate ejection (on by default) is
    /// switched off and consecutive-5xx enforcement is made explicit.
    /// </summary>
    private static OutlierDetection Outlier(Specs.OutlierDetection outlier) => new()
    {
        Consecutive5Xx = (uint)Math.Min(outlier.MaxServerErrors, uint.MaxValue),
        EnforcingConsecutive5Xx = 100,
        EnforcingSuccessRate = 0,
        Interval = Protos.Duration(outlier.Interval.ToTimeSpan() ?? TimeSpan.FromSeconds(10)),
        BaseEjectionTime = Protos.Duration(outlier.BaseEjectionDuration.ToTimeSpan() ?? TimeSpan.FromSeconds(30)),
        MaxEjectionPercent = (uint)outlier.MaxEjectionPercent,
    };

    private static HealthCheck HealthCheck(Specs.HealthCheckPolicy check, string? hostname, int listenerPort)
    {
        var result = new HealthCheck
        {
            Timeout = Protos.Duration(TimeSpan.FromMilliseconds(check.TimeoutMillis)),
            Interval = Protos.Duration(TimeSpan.FromMilliseconds(check.IntervalMillis)),
            UnhealthyThreshold = (uint)check.UnhealthyThreshold,
            HealthyThreshold = (uint)check.HealthyThreshold,
        };
        switch (check.Protocol)
        {
            case Specs.PortProtocol.Http:
            case Specs.PortProtocol.Http2:
                var http = new HealthCheck.Types.HttpHealthCheck { Path = string.IsNullOrEmpty(check.Path) ? "/" : check.Path };
                if (hostname is not null)
                {
                    // App Mesh's: "<DNS hostname>:<port>", the port the check is sent to ([VND]).
                    var port = check.Port ?? listenerPort;
                    http.Host = hostname.Contains(':', StringComparison.Ordinal) ? $"[{hostname}]:{port}" : $"{hostname}:{port}";
                }

                if (check.Protocol == Specs.PortProtocol.Http2)
                {
                    http.CodecClientType = Envoy.Type.V3.CodecClientType.Http2;
                }

                result.HttpHealthCheck = http;
                break;
            case Specs.PortProtocol.Grpc:
                result.GrpcHealthCheck = new HealthCheck.Types.GrpcHealthCheck();
                if (hostname is not null)
                {
                    result.GrpcHealthCheck.Authority = hostname;
                }

                break;
            default:
                result.TcpHealthCheck = new HealthCheck.Types.TcpHealthCheck();
                break;
        }

        return result;
    }

    /// <summary>Whether a node's listeners should bind <c>::</c>: any IP preference, the node's or the mesh's (§6).</summary>
    public static bool PrefersIpv6Loopback(Specs.IpPreference? preference) =>
        preference is Specs.IpPreference.IPv6Preferred or Specs.IpPreference.IPv6Only;

    public static Specs.IpPreference? NodePreference(TranslationContext context, Specs.VirtualNodeSpec node) =>
        node.ServiceDiscovery?.Dns?.IpPreference
        ?? node.ServiceDiscovery?.AwsCloudMap?.IpPreference
        ?? context.Graph.Mesh.ServiceDiscovery?.IpPreference;

}
