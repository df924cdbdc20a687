using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// How a client reaches a virtual service: the ports its provider listens on, and per port the ordered Envoy
/// routes (a router's routes, or one route to the provider node). Shared by sidecars, gateways and proxyless clients.
/// </summary>
internal static class ServiceRouting
{
    /// <summary>App Mesh's default per-request timeout ([API] HttpTimeout; RM#53).</summary>
    public static readonly TimeSpan DefaultPerRequest = TimeSpan.FromSeconds(15);

    /// <summary>App Mesh's default idle timeout.</summary>
    public static readonly TimeSpan DefaultIdle = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The ports a service is reachable on, in order; none (with a warning) when it has no provider or its provider no
    /// listener. <paramref name="outcome"/> ends those warnings with what the caller does instead (a gateway route
    /// answers 503); without it, they say the service is not routed, which is all a sidecar or proxyless client can do
    /// for a service without a port.
    /// </summary>
    public static IReadOnlyList<ServicePort> Ports(TranslationContext context, string service, string where, string? outcome = null)
    {
        var provider = context.Graph.ProviderOf(service);
        if (provider is null)
        {
            context.Warn(WarningKind.MissingResource, $"{where}: virtualService/{service} does not exist or has no provider in the mesh{outcome}");
            return [];
        }

        var (kind, name, mappings) = provider.VirtualNode is { } node
            ? ("virtualNode", node.Name, (node.Spec.Listeners ?? []).Select(l => l.PortMapping))
            : ("virtualRouter", provider.VirtualRouter!.Name, (provider.VirtualRouter!.Spec.Listeners ?? []).Select(l => l.PortMapping));
        var ports = mappings.Select(m => new ServicePort(m.Port, m.Protocol)).Distinct().OrderBy(p => p.Port).ToList();
        if (ports.Count == 0)
        {
            // A service takes its ports from its provider's listeners: without one there is no port to give it a
            // virtual host or TCP route on, so it cannot even answer 503; said here rather than dropped without a word.
            context.Warn(WarningKind.UnreachableBackend, $"{where}: virtualService/{service} cannot be served: its provider {kind}/{name} has no listeners"
                + (outcome ?? ", so it has no port and calls to it are not routed") + $" (add a listener to {kind}/{name})");
        }

        return ports;
    }

    /// <summary>
    /// The ordered HTTP, HTTP/2 or gRPC routes of a service on one of its ports. An Envoy's routes name the service
    /// for App Mesh's metrics extension (<see cref="AggregateStats"/>); a gateway's routes are copies of these.
    /// </summary>
    public static List<Route> HttpRoutes(TranslationContext context, string service, ServicePort port, RouteFlavor flavor, string where)
    {
        var routes = ProviderRoutes(context, service, port, flavor, where);
        foreach (var route in routes)
        {
            if (flavor.Proxyless)
            {
                Matches.UseFieldsEveryGrpcClientReads(route.Match);
            }
            else
            {
                route.Metadata = AggregateStats.TargetVirtualService(service);
            }
        }

        return routes;
    }

    private static List<Route> ProviderRoutes(TranslationContext context, string service, ServicePort port, RouteFlavor flavor, string where)
    {
        var provider = context.Graph.ProviderOf(service);
        if (provider?.VirtualNode is { } node)
        {
            // The service's ports are its provider node's listeners, so the node has a listener on this one.
            var listener = Clusters.TargetListener(context, node, port.Port, where);
            var unreachable = $"requests to virtualService/{service} on {TranslationContext.Ports} answer {(flavor.Proxyless ? "UNAVAILABLE" : "503")}";
            var cluster = listener is null ? null : Clusters.Upstream(context, UpstreamRequest.Of(node, listener, flavor, where) with { Unreachable = unreachable });
            if (listener is null || cluster is null)
            {
                // Like a router's route whose targets are all gone: the service's name keeps a route that fails its
                // requests, rather than none (a 404, or a gateway's next route taking them). Whatever failed said why,
                // and what its requests get, in one warning.
                return [Unavailable(context, service, new RouteMatch { Prefix = "/" }, flavor)];
            }

            // A node provider has no route resource; its listener's timeouts are the ones the user set for it.
            var (perRequest, idle) = ListenerTimeouts(listener.Timeout, port.Protocol);
            var action = new RouteAction { Cluster = cluster };
            ApplyTimeouts(action, perRequest, idle, flavor);
            WarnOfAnIdleTimeoutGrpcIgnores(context, idle, flavor, $"{where}: virtualNode/{node.Name} listener {port.Port}");
            action.RetryPolicy = Retries.Default();
            return [new Route { Name = service, Match = new RouteMatch { Prefix = "/" }, Route_ = action }];
        }

        if (provider?.VirtualRouter is not { } router)
        {
            return [];
        }

        var routes = new List<(int? Priority, Route Route)>();
        foreach (var resource in RoutesOn(router, port))
        {
            var spec = resource.Spec;
            var routeWhere = $"{where}: virtualRouter/{router.Name}/route/{resource.Name}";
            Route? route = port.Protocol switch
            {
                Specs.PortProtocol.Http when spec.HttpRoute is { } http => FromHttp(context, resource.Name, http, port, flavor, routeWhere),
                Specs.PortProtocol.Http2 when spec.Http2Route is { } http2 => FromHttp(context, resource.Name, http2, port, flavor, routeWhere),
                Specs.PortProtocol.Grpc when spec.GrpcRoute is { } grpc => FromGrpc(context, resource.Name, grpc, port, flavor, routeWhere),
                _ => null,
            };
            if (route is not null)
            {
                routes.Add((spec.Priority, route));
            }
            else
            {
                WarnIfServedNowhere(context, router, resource);
            }
        }

        if (routes.Count == 0)
        {
            // As in App Mesh, whose Envoy had the router's virtual host with no route in it: every request is
            // answered 404 ("no route"). Not a failure of the service, but nothing it would serve, so it is said.
            context.WarnOnPort(
                WarningKind.NoRoute,
                $"{where}: no route of virtualRouter/{router.Name} serves {TranslationContext.Ports}, so requests to virtualService/{service} there {(flavor.Proxyless ? "fail with UNAVAILABLE" : "get 404")} (no route) until one is added",
                port.Port,
                $"{port.Port} ({EnvoyNames.Protocol(port.Protocol)})");
        }

        return RouteOrder.Sort(routes);
    }

    /// <summary>Where a TCP service's port leads; a router's TCP routes are ordered like HTTP ones and the first wins.</summary>
    public static TcpTargets? Tcp(TranslationContext context, string service, ServicePort port, RouteFlavor flavor, string where)
    {
        var provider = context.Graph.ProviderOf(service);
        if (provider?.VirtualNode is { } node)
        {
            var listener = Clusters.TargetListener(context, node, port.Port, where);
            var unreachable = $"connections to virtualService/{service} on {TranslationContext.Ports} are not forwarded";
            var cluster = listener is null ? null : Clusters.Upstream(context, UpstreamRequest.Of(node, listener, flavor, where) with { Unreachable = unreachable });
            return cluster is null ? null : new TcpTargets([(cluster, 1)], listener!.Timeout?.Tcp?.Idle?.ToTimeSpan());
        }

        if (provider?.VirtualRouter is not { } router)
        {
            return null;
        }

        foreach (var other in RoutesOn(router, port).Where(r => r.Spec.TcpRoute is null))
        {
            WarnIfServedNowhere(context, router, other);
        }

        var candidates = RoutesOn(router, port)
            .Where(r => r.Spec.TcpRoute is not null)
            .OrderBy(r => r.Spec.Priority ?? RouteOrder.Unprioritised)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
        {
            context.WarnOnPort(
                WarningKind.NoRoute,
                $"{where}: no tcpRoute of virtualRouter/{router.Name} serves {TranslationContext.Ports}, so connections to virtualService/{service} there are not forwarded until one is added",
                port.Port,
                port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return null;
        }

        if (candidates.Count > 1)
        {
            context.Warn(WarningKind.SettingIgnored, $"{where}: virtualRouter/{router.Name} has {candidates.Count} TCP routes on port {port.Port}; only route/{candidates[0].Name} is used");
        }

        var tcp = candidates[0].Spec.TcpRoute!;
        var routeWhere = $"{where}: virtualRouter/{router.Name}/route/{candidates[0].Name}";
        var targets = ReachableTargets(context, tcp.Action.WeightedTargets, port, flavor, routeWhere, $"connections to port {port.Port} are not forwarded");

        // A target weighted 0 gets no connection. Unlike an HTTP route's weighted clusters, the TCP proxy's refuse a
        // weight of 0 (Envoy would reject the whole listener update), so such targets are left out here.
        var weighted = targets.Where(t => t.Weight > 0).ToList();
        if (weighted.Count == 0)
        {
            if (targets.Count > 0)
            {
                context.Warn(WarningKind.UnreachableBackend, $"{routeWhere}: no reachable target with a weight above 0; connections to port {port.Port} are not forwarded");
            }

            return null;
        }

        return new TcpTargets(weighted, tcp.Timeout?.Idle?.ToTimeSpan());
    }

    /// <summary>
    /// A route serves the router's ports of its own kind (an httpRoute http, an http2Route http2, and so on) among those
    /// it applies to. One that fits none of them is stored (a router's listeners can change after its routes were
    /// written) but cannot be served; it is warned of, not left out without a word.
    /// </summary>
    private static void WarnIfServedNowhere(TranslationContext context, VirtualRouterResource router, MeshResource<Specs.RouteSpec> route)
    {
        var spec = route.Spec;
        Specs.PortProtocol? protocol = spec switch
        {
            { HttpRoute: not null } => Specs.PortProtocol.Http,
            { Http2Route: not null } => Specs.PortProtocol.Http2,
            { GrpcRoute: not null } => Specs.PortProtocol.Grpc,
            { TcpRoute: not null } => Specs.PortProtocol.Tcp,
            _ => null,
        };
        if (protocol is not { } kind)
        {
            return;
        }

        var routePort = PortOf(spec);
        var applies = (router.Spec.Listeners ?? []).Select(l => l.PortMapping).Where(m => routePort is null || m.Port == routePort).ToList();
        if (applies.Count == 0 || applies.Any(m => m.Protocol == kind))
        {
            return;
        }

        // Named by the route alone: it is the route that cannot be served, whichever client or gateway reaches it.
        context.Warn(WarningKind.RouteLeftOut, $"virtualRouter/{router.Name}/route/{route.Name}: not applied: it is {RouteKind(kind)}, and the router's listeners it applies to are {Listening(applies)}");
    }

    /// <summary>How a route of a protocol is named in the API: "an httpRoute", "a grpcRoute", …</summary>
    public static string RouteKind(Specs.PortProtocol protocol) => protocol switch
    {
        Specs.PortProtocol.Http => "an httpRoute",
        Specs.PortProtocol.Http2 => "an http2Route",
        Specs.PortProtocol.Grpc => "a grpcRoute",
        _ => "a tcpRoute",
    };

    /// <summary>Listeners as a warning names them: "http on port 80, grpc on port 50051", by port.</summary>
    public static string Listening(IEnumerable<Specs.PortMapping> listeners) =>
        string.Join(", ", listeners.OrderBy(m => m.Port).Select(m => $"{EnvoyNames.Protocol(m.Protocol)} on port {m.Port}"));

    /// <summary>The port a route names in its match, if any.</summary>
    private static int? PortOf(Specs.RouteSpec spec) =>
        spec.HttpRoute?.Match.Port ?? spec.Http2Route?.Match.Port ?? spec.GrpcRoute?.Match.Port ?? spec.TcpRoute?.Match?.Port;

    /// <summary>
    /// The routes of a router that serve a port: those naming the port, and those naming none (a router with
    /// one listener needs no port; App Mesh required it with several).
    /// </summary>
    private static IEnumerable<MeshResource<Specs.RouteSpec>> RoutesOn(VirtualRouterResource router, ServicePort port) =>
        router.Routes.Where(r => PortOf(r.Spec) is not { } routePort || routePort == port.Port);

    private static Route? FromHttp(TranslationContext context, string name, Specs.HttpRoute http, ServicePort port, RouteFlavor flavor, string where)
    {
        if ((Matches.PathProblem(http.Match.Prefix, http.Match.Path)
            ?? Matches.NameProblem("headers", http.Match.Headers?.Select(h => h.Name), http.Match.QueryParameters)) is { } problem)
        {
            context.Warn(WarningKind.RouteLeftOut, $"{where}: left out: {problem}");
            return null;
        }

        Matches.WarnOfValuesNoRequestCarries(context, where, "route", "headers", http.Match.Headers?.Select(h => (h.Match, h.Invert)), http.Match.QueryParameters);
        var match = Matches.Http(http.Match);
        if (flavor.Proxyless && !SeenByGrpcCalls(match, out var why))
        {
            context.Warn(WarningKind.RouteLeftOut, $"{where}: left out for proxyless gRPC clients: {why}");
            return null;
        }

        var action = Action(context, http.Action.WeightedTargets, port, flavor, where);
        if (action is null)
        {
            return Unavailable(context, name, match, flavor);
        }

        ApplyTimeouts(action, http.Timeout?.PerRequest, http.Timeout?.Idle, flavor);
        WarnOfAnIdleTimeoutGrpcIgnores(context, http.Timeout?.Idle, flavor, where);
        SetRetry(action, Retries.Http(http.RetryPolicy, where, context), flavor, context, where);
        return new Route { Name = name, Match = match, Route_ = action };
    }

    /// <summary>
    /// A proxyless gRPC client matches headers against its call's metadata, which holds no pseudo-headers, so a
    /// <c>:method</c> or <c>:scheme</c> condition never holds there. Every gRPC call is a POST over plaintext (the
    /// clients get no TLS from this control plane): a route asking for that matches every call, as Envoy sees them,
    /// and loses the condition; one asking for anything else matches none, in Envoy too, and is left out.
    /// </summary>
    private static bool SeenByGrpcCalls(RouteMatch match, out string why)
    {
        why = "";
        foreach (var header in match.Headers.Where(h => h.Name is ":method" or ":scheme").ToList())
        {
            var value = header.StringMatch?.Exact;
            if ((header.Name, value) is (":method", "POST") or (":scheme", "http"))
            {
                match.Headers.Remove(header);
                continue;
            }

            why = $"it matches {header.Name} {value}, and a gRPC call is a POST over http";
            return false;
        }

        return true;
    }

    private static Route? FromGrpc(TranslationContext context, string name, Specs.GrpcRoute grpc, ServicePort port, RouteFlavor flavor, string where)
    {
        if (Matches.NameProblem("metadata", grpc.Match.Metadata?.Select(m => m.Name), null) is { } problem)
        {
            context.Warn(WarningKind.RouteLeftOut, $"{where}: left out: {problem}");
            return null;
        }

        Matches.WarnOfValuesNoRequestCarries(context, where, "route", "metadata", grpc.Match.Metadata?.Select(m => (m.Match, m.Invert)), null);
        var action = Action(context, grpc.Action.WeightedTargets, port, flavor, where);
        if (action is null)
        {
            return Unavailable(context, name, Matches.Grpc(grpc.Match), flavor);
        }

        ApplyTimeouts(action, grpc.Timeout?.PerRequest, grpc.Timeout?.Idle, flavor);
        WarnOfAnIdleTimeoutGrpcIgnores(context, grpc.Timeout?.Idle, flavor, where);
        SetRetry(action, Retries.Grpc(grpc.RetryPolicy, where, context), flavor, context, where);
        return new Route { Name = name, Match = Matches.Grpc(grpc.Match), Route_ = action };
    }

    /// <summary>
    /// gRPC treats <c>num_retries: 0</c> as invalid, and App Mesh's <c>maxRetries: 0</c> means "do not retry",
    /// so a proxyless client gets no policy then.
    /// </summary>
    private static void SetRetry(RouteAction action, RetryPolicy? policy, RouteFlavor flavor, TranslationContext context, string where)
    {
        if (policy is not null && !(flavor.Proxyless && policy.NumRetries == 0))
        {
            action.RetryPolicy = policy;
            if (flavor.Proxyless)
            {
                WarnOfWhatGrpcRetriesIgnore(policy, context, where);
            }
        }
    }

    /// <summary>
    /// A proxyless client reads a route's <c>max_stream_duration</c> and nothing else of its timeouts (gRFC A31): an idle
    /// timeout, which an Envoy applies to a stream that sends nothing for that long, never ends a gRPC call. Said, not
    /// left to be found (an idle timeout of 0, which disables Envoy's, asks for nothing gRPC does not do).
    /// </summary>
    private static void WarnOfAnIdleTimeoutGrpcIgnores(TranslationContext context, Specs.Duration? idle, RouteFlavor flavor, string where)
    {
        if (flavor.Proxyless && idle?.ToTimeSpan() > TimeSpan.Zero)
        {
            context.Warn(WarningKind.SettingIgnored, $"{where}: proxyless gRPC clients ignore the idle timeout (of a route's timeouts they apply only perRequest, as a deadline)");
        }
    }

    /// <summary>gRPC statuses a gRPC client retries on (gRFC A44); it ignores every other <c>retry_on</c> value.</summary>
    private static readonly string[] GrpcRetryOn = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

    /// <summary>
    /// A proxyless client applies only the gRPC statuses of a retry policy and no per-try timeout (gRFC A44), so a
    /// policy made of HTTP or TCP events retries nothing there; said, not left to be found.
    /// </summary>
    private static void WarnOfWhatGrpcRetriesIgnore(RetryPolicy policy, TranslationContext context, string where)
    {
        var on = policy.RetryOn.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (!on.Any(GrpcRetryOn.Contains))
        {
            context.Warn(WarningKind.SettingIgnored, $"{where}: proxyless gRPC clients do not retry this route: they retry only on gRPC statuses ({string.Join(", ", GrpcRetryOn)}), and it retries on {policy.RetryOn}");
        }

        if (policy.PerTryTimeout is not null)
        {
            context.Warn(WarningKind.SettingIgnored, $"{where}: proxyless gRPC clients ignore the retry policy's perRetryTimeout");
        }
    }

    /// <summary>
    /// A route whose every target is gone (or weighs 0) fails its calls instead of letting them fall through to a
    /// later route: an Envoy answers 503 itself (a direct response). A proxyless gRPC client is sent to a cluster with
    /// no endpoints instead, which fails the call with UNAVAILABLE: grpc-js refuses a whole route configuration
    /// holding a direct response (and grpc-go and C-core fail such a route's calls the same way).
    /// </summary>
    private static Route Unavailable(TranslationContext context, string name, RouteMatch match, RouteFlavor flavor) =>
        flavor.Proxyless
            ? new() { Name = name, Match = match, Route_ = new RouteAction { Cluster = Clusters.ProxylessUnavailable(context) } }
            : new() { Name = name, Match = match, DirectResponse = new DirectResponseAction { Status = 503 } };

    private static RouteAction? Action(TranslationContext context, Specs.EquatableList<Specs.WeightedTarget> weighted, ServicePort port, RouteFlavor flavor, string where)
    {
        var answers = $"the route answers {(flavor.Proxyless ? "UNAVAILABLE" : "503")}";
        var targets = ReachableTargets(context, weighted, port, flavor, where, answers);
        if (targets.Count == 0 || targets.Sum(t => t.Weight) == 0)
        {
            // With no target at all, each target's cause said so; this says what the targets that are left weigh.
            if (targets.Count > 0)
            {
                context.Warn(WarningKind.UnreachableBackend, $"{where}: no reachable target with a weight above 0; {answers}");
            }

            return null;
        }

        // Weighted targets become weighted_clusters; zero weights are kept (docs/envoy-mapping.md §2). Envoy takes the
        // sum as the total, so its deprecated total_weight is left unset; gRPC C-core before 1.5x still defaults
        // total_weight to 100 and NACKs any other sum, so proxyless clients get it set to the sum (as App Mesh did).
        var clusters = new WeightedCluster();
        foreach (var (cluster, weight) in targets)
        {
            clusters.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = cluster, Weight = weight });
        }

        if (flavor.Proxyless)
        {
#pragma warning disable CS0612 // Deprecated in Envoy, still required by older gRPC clients.
            clusters.TotalWeight = (uint)targets.Sum(t => t.Weight);
#pragma warning restore CS0612
        }

        return new RouteAction { WeightedClusters = clusters };
    }

    /// <summary>
    /// <see cref="Targets"/>, saying why each target that cannot be reached is not; when none can be, each cause says
    /// too what the route's requests get (<paramref name="outcome"/>), so that a cause is one warning.
    /// </summary>
    private static List<(string Cluster, uint Weight)> ReachableTargets(TranslationContext context, Specs.EquatableList<Specs.WeightedTarget> weighted, ServicePort port, RouteFlavor flavor, string where, string outcome)
    {
        var targets = context.CollectWhyUnreachable(() => Targets(context, weighted, port, flavor, where), out var why);
        foreach (var cause in why)
        {
            context.Warn(targets.Count == 0 ? cause with { Message = $"{cause.Message}; {outcome}" } : cause);
        }

        return targets;
    }

    /// <summary>Resolves weighted targets to clusters, merging targets that land on the same cluster.</summary>
    private static List<(string Cluster, uint Weight)> Targets(TranslationContext context, Specs.EquatableList<Specs.WeightedTarget> weighted, ServicePort port, RouteFlavor flavor, string where)
    {
        var result = new List<(string Cluster, uint Weight)>();
        foreach (var target in weighted)
        {
            var node = context.Graph.FindVirtualNode(target.VirtualNode);
            if (node is null)
            {
                context.WarnWhyUnreachable(WarningKind.MissingResource, $"{where}: target virtualNode/{target.VirtualNode} does not exist");
                continue;
            }

            // Without a port, a node with one listener is unambiguous; otherwise try the router's own port.
            var listenerPort = target.Port ?? ((node.Spec.Listeners?.Count ?? 0) == 1 ? null : port.Port);
            var listener = Clusters.TargetListener(context, node, listenerPort, where);
            var cluster = listener is null ? null : Clusters.Upstream(context, UpstreamRequest.Of(node, listener, flavor, where));
            if (cluster is null)
            {
                continue;
            }

            var index = result.FindIndex(r => r.Cluster == cluster);
            if (index >= 0)
            {
                result[index] = (cluster, result[index].Weight + (uint)target.Weight);
            }
            else
            {
                result.Add((cluster, (uint)target.Weight));
            }
        }

        return result;
    }

    /// <summary>The per-request and idle timeouts a listener sets for its own protocol.</summary>
    public static (Specs.Duration? PerRequest, Specs.Duration? Idle) ListenerTimeouts(Specs.ListenerTimeout? timeout, Specs.PortProtocol protocol) => protocol switch
    {
        Specs.PortProtocol.Http => (timeout?.Http?.PerRequest, timeout?.Http?.Idle),
        Specs.PortProtocol.Http2 => (timeout?.Http2?.PerRequest, timeout?.Http2?.Idle),
        Specs.PortProtocol.Grpc => (timeout?.Grpc?.PerRequest, timeout?.Grpc?.Idle),
        _ => (null, timeout?.Tcp?.Idle),
    };

    /// <summary>
    /// perRequest → route <c>timeout</c> (15 s by default; 0 disables it, as in Envoy); idle → route <c>idle_timeout</c>.
    /// gRPC clients ignore <c>timeout</c> and read <c>max_stream_duration</c> (gRFC A31), so proxyless routes carry both.
    /// </summary>
    public static void ApplyTimeouts(RouteAction action, Specs.Duration? perRequest, Specs.Duration? idle, RouteFlavor flavor)
    {
        var request = perRequest?.ToTimeSpan() ?? DefaultPerRequest;
        action.Timeout = Protos.Duration(request);

        // gRPC reads max_stream_duration as a deadline from the call's start (gRFC A31), where Envoy's timeout starts
        // once the request has been sent: App Mesh's 15 s default would end every longer client or bidirectional
        // stream. So a proxyless client gets a deadline only where the user set one.
        if (flavor.Proxyless && perRequest is not null && request > TimeSpan.Zero)
        {
            action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Protos.Duration(request) };
        }

        if (idle?.ToTimeSpan() is { } i)
        {
            action.IdleTimeout = Protos.Duration(i);
        }
    }
}
