using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Mesh.Model.Resources;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// A virtual gateway (docs/envoy-mapping.md §5) in one stage: each listener port gets <c>lds_ingress_0.0.0.0_&lt;port&gt;</c>
/// and <c>rds_ingress_&lt;proto&gt;_&lt;port&gt;</c> whose routes lead straight to the target service's provider, with
/// the router's routes folded into the gateway route (see <see cref="PathComposition"/>). There is no
/// self-redirect hop, so timeouts and retries of the router routes apply (they were lost in App Mesh, RM#376).
/// </summary>
internal static class GatewayTranslator
{
    public static void Translate(TranslationContext context, VirtualGatewayResource gateway)
    {
        var accessLog = AccessLogs.Build(gateway.Spec.Logging);
        var tracing = Tracers.For(context, gateway.Name);
        var listeners = gateway.Spec.Listeners.OrderBy(l => l.PortMapping.Port).ToList();
        foreach (var listener in listeners)
        {
            var port = listener.PortMapping.Port;
            var protocol = listener.PortMapping.Protocol;
            var proto = EnvoyNames.Protocol(protocol);
            var where = $"virtualGateway/{gateway.Name} listener {proto}:{port}";
            if (protocol == Specs.PortProtocol.Tcp)
            {
                context.Warn(WarningKind.RouteLeftOut, $"{where}: gateways accept http, http2 or grpc only");
                continue;
            }

            if (listener.HealthCheck is not null)
            {
                // Nothing calls a gateway through the mesh, so no Envoy health-checks it: the model takes the policy,
                // and it has no Envoy meaning.
                context.Warn(WarningKind.SettingIgnored, $"{where}: healthCheck is ignored: no proxy of the mesh calls a gateway, so nothing health-checks it");
            }

            var routeName = EnvoyNames.IngressRoute(protocol, port);
            var statPrefix = listeners.Count > 1 ? $"ingress.{proto}.{port}" : "ingress";
            // Host "name:port" must match a hostname route too; App Mesh did not do this (RM#365).
            var filter = Filters.EnvoyHcm(statPrefix, routeName, accessLog, tracing, ServiceRouting.DefaultIdle, websocket: protocol == Specs.PortProtocol.Http, stripPort: true);
            var result = new Listener
            {
                Name = EnvoyNames.GatewayListener(port),
                Address = Protos.SocketAddress("0.0.0.0", (uint)port),
                TrafficDirection = TrafficDirection.Inbound,
                Metadata = AggregateStats.Untagged(),
            };
            if (listener.Tls?.Mode == Specs.ListenerTlsMode.Permissive)
            {
                result.ListenerFilters.Add(Filters.TlsInspector());
            }

            result.FilterChains.AddRange(ListenerChains.Inbound($"ingress_{proto}_{port}", port, protocol, listener.Tls, filter, where, context));
            context.Add(result);

            var flavor = new RouteFlavor(false, gateway.Spec.BackendDefaults?.ClientPolicy, listener.ConnectionPool);
            var host = new VirtualHost { Name = gateway.Name, Domains = { "*" } };
            host.Routes.AddRange(Routes(context, gateway, listener.PortMapping, flavor));
            context.Add(new RouteConfiguration { Name = routeName, VirtualHosts = { host } });
        }

        WarnOfRoutesServedNowhere(context, gateway);
    }

    /// <summary>
    /// A gateway route serves the gateway's listeners of its own kind (httpRoute http, http2Route http2, grpcRoute
    /// grpc) that its <c>match.port</c> allows. One that fits none is stored (the gateway's listeners can change after
    /// it was written) but cannot be served; it is warned of, not left out without a word.
    /// </summary>
    private static void WarnOfRoutesServedNowhere(TranslationContext context, VirtualGatewayResource gateway)
    {
        var listeners = gateway.Spec.Listeners.Select(l => l.PortMapping).ToList();
        foreach (var resource in gateway.GatewayRoutes)
        {
            Specs.PortProtocol? protocol = resource.Spec switch
            {
                { HttpRoute: not null } => Specs.PortProtocol.Http,
                { Http2Route: not null } => Specs.PortProtocol.Http2,
                { GrpcRoute: not null } => Specs.PortProtocol.Grpc,
                _ => null,
            };
            var port = PortOf(resource.Spec);
            if (protocol is not { } kind || listeners.Any(m => m.Protocol == kind && (port is null || m.Port == port)))
            {
                continue;
            }

            var wanted = port is null ? ServiceRouting.RouteKind(kind) : $"{ServiceRouting.RouteKind(kind)} for port {port}";
            context.Warn(WarningKind.RouteLeftOut, $"{Where(gateway, resource.Name)}: not applied: it is {wanted}, and the gateway's listeners are {ServiceRouting.Listening(listeners)}");
        }
    }

    /// <summary>How warnings name a gateway route.</summary>
    private static string Where(VirtualGatewayResource gateway, string route) => $"virtualGateway/{gateway.Name}/gatewayRoute/{route}";

    /// <summary>The port a gateway route names in its match, if any.</summary>
    private static int? PortOf(Specs.GatewayRouteSpec spec) => spec.HttpRoute?.Match.Port ?? spec.Http2Route?.Match.Port ?? spec.GrpcRoute?.Match.Port;

    /// <param name="StoredInvalid">
    /// Why the gateway route cannot be served as stored, or null: a value the API refuses now, stored before it did.
    /// Its match can still be given to Envoy, so the unit answers 503 in its place rather than letting its requests go
    /// on to a later gateway route.
    /// </param>
    private sealed record Unit(string Name, int? Priority, RouteMatch Match, string? RewriteTo, bool RewriteHost, Specs.GatewayRouteTarget Target, string? StoredInvalid = null);

    private static IEnumerable<Route> Routes(TranslationContext context, VirtualGatewayResource gateway, Specs.PortMapping listener, RouteFlavor flavor)
    {
        var units = new List<Unit>();
        foreach (var resource in gateway.GatewayRoutes)
        {
            var spec = resource.Spec;
            var where = Where(gateway, resource.Name);
            var unit = listener.Protocol switch
            {
                Specs.PortProtocol.Http when spec.HttpRoute is { } http => FromHttp(context, where, resource.Name, spec.Priority, http),
                Specs.PortProtocol.Http2 when spec.Http2Route is { } http2 => FromHttp(context, where, resource.Name, spec.Priority, http2),
                Specs.PortProtocol.Grpc when spec.GrpcRoute is { } grpc => FromGrpc(context, where, resource.Name, spec.Priority, grpc),
                _ => null,
            };
            var routePort = PortOf(spec);
            if (unit is not null && (routePort is null || routePort == listener.Port))
            {
                units.Add(unit);
            }
        }

        // Gateway routes are ordered as whole units (priority, then most specific first); each unit keeps its
        // router's own route order inside it.
        var ordered = RouteOrder.Sort(units, u => u.Priority, u => u.Match, u => u.Name);
        WarnOfShadowedUnits(context, gateway, listener, ordered);
        foreach (var unit in ordered)
        {
            var where = Where(gateway, unit.Name);
            if (unit.StoredInvalid is { } invalid)
            {
                context.Warn(WarningKind.RouteLeftOut, $"{where}: {invalid}{Answers503}");
                yield return Answer(unit, 503);
                continue;
            }

            var service = unit.Target.VirtualService.VirtualServiceName;
            var port = ServicePortFor(context, service, unit.Target.Port, listener.Protocol, where);
            if (port is null)
            {
                // Left out, its requests would go to the next gateway route that matches them (a catch-all of
                // another service, say); they fail here instead, as a sidecar's route with no target left does, and
                // are counted against that service as that route's are.
                var unavailable = Answer(unit, 503);
                unavailable.Metadata = AggregateStats.TargetVirtualService(service);
                yield return unavailable;
                continue;
            }

            var innerRoutes = ServiceRouting.HttpRoutes(context, service, port.Value, flavor, where).ToList();
            var reachable = false;
            var coversUnit = false;
            foreach (var (gatewayMatch, inner) in SlashVariants(unit).SelectMany(_ => innerRoutes, (gatewayMatch, inner) => (gatewayMatch, inner)))
            {
                var composed = PathComposition.Compose(gatewayMatch, unit.RewriteTo, inner.Match);
                if (composed is null)
                {
                    continue; // The router route can never see a request from this gateway route.
                }

                reachable = true;
                if (composed.Unsupported is { } reason)
                {
                    context.Warn(WarningKind.RouteLeftOut, $"{where}: route {inner.Name} left out: {reason}");
                    continue;
                }

                var route = inner.Clone();
                route.Name = $"{unit.Name}/{inner.Name}";
                route.Match = composed.Match;
                coversUnit |= route.Match.Equals(unit.Match);
                if (route.Route_ is { } action)
                {
                    if (composed.PrefixRewrite is { } rewrite)
                    {
                        action.PrefixRewrite = rewrite;
                    }

                    if (unit.RewriteHost)
                    {
                        action.HostRewriteLiteral = service;
                    }
                }

                yield return route;
            }

            if (!reachable && innerRoutes.Count > 0)
            {
                // App Mesh forwarded such requests and the service's router answered 404; here the gateway answers
                // it, which is the same to the client, but a gateway route that can reach nothing is worth saying.
                context.Warn(WarningKind.NoRoute, $"{where}: no route of virtualService/{service} matches any request this gateway route forwards{(unit.RewriteTo is { } to ? $" (its path rewritten to '{to}')" : "")}, so the gateway answers them itself, as not found");
            }

            if (!coversUnit)
            {
                // App Mesh forwarded every request of a gateway route to the service, whose router answered 404 when
                // none of its routes matched. One stage must say so itself: without this route, such requests would
                // go on to the next gateway route that matches them.
                yield return Answer(unit, 404);
            }
        }
    }

    /// <summary>
    /// A unit never lets a request it matches go on to a later one (it forwards it, or answers 404 or 503 itself), so a
    /// unit after one that matches every request it would never receives any. Said only when that is certain: the
    /// earlier unit has no header, method, hostname or query condition, and its prefix begins every path the later
    /// one's prefix or exact path matches (a regex could match a path no prefix begins, such as <c>*</c>).
    /// </summary>
    private static void WarnOfShadowedUnits(TranslationContext context, VirtualGatewayResource gateway, Specs.PortMapping listener, List<Unit> ordered)
    {
        for (var i = 1; i < ordered.Count; i++)
        {
            var shadowedBy = ordered.Take(i).FirstOrDefault(earlier => Covers(earlier.Match, ordered[i].Match));
            if (shadowedBy is not null)
            {
                context.WarnOnPort(
                    WarningKind.RouteShadowed,
                    $"{Where(gateway, ordered[i].Name)}: never receives a request on the gateway's {TranslationContext.Ports}: gatewayRoute/{shadowedBy.Name} "
                    + "comes before it (by priority, then most specific first, then name) and takes all of its requests",
                    listener.Port,
                    $"{listener.Port} ({EnvoyNames.Protocol(listener.Protocol)})");
            }
        }
    }

    /// <summary>Whether every request <paramref name="later"/> matches is certain to match <paramref name="earlier"/>.</summary>
    private static bool Covers(RouteMatch earlier, RouteMatch later) =>
        earlier.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix
        && earlier.Headers.Count == 0
        && earlier.QueryParameters.Count == 0
        && later.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => later.Prefix.StartsWith(earlier.Prefix, StringComparison.Ordinal),
            RouteMatch.PathSpecifierOneofCase.Path => later.Path.StartsWith(earlier.Prefix, StringComparison.Ordinal),
            _ => false,
        };

    /// <summary>A route answering every request of a gateway route itself (a direct response), after whatever it composed.</summary>
    private static Route Answer(Unit unit, uint status) =>
        new() { Name = unit.Name, Match = unit.Match.Clone(), DirectResponse = new DirectResponseAction { Status = status } };

    /// <summary>
    /// The gateway matches a unit's routes are composed under. App Mesh rewrote a prefix in its first stage and matched
    /// the router's routes in a second one whose connection manager merged slashes, so a prefix without a trailing '/'
    /// rewritten to one with it (the default "/") behaved as if the slash after the prefix were part of it: with
    /// <c>/chapter</c>, <c>/chapter/1</c> reached the service as <c>/1</c>, not <c>//1</c> ([UG] virtual_gateways).
    /// One stage has no second merge, so such a unit is composed twice: first under the prefix with its slash (those
    /// requests lose it with the prefix), then under the prefix alone (requests like <c>/chapter1</c>, which became
    /// <c>/1</c>). The first set of routes is tried first, so a request with the slash never reaches the second.
    /// </summary>
    private static IEnumerable<RouteMatch> SlashVariants(Unit unit)
    {
        if (unit.Match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix
            && !unit.Match.Prefix.EndsWith('/')
            && unit.RewriteTo is { } rewriteTo && rewriteTo.EndsWith('/'))
        {
            var withSlash = unit.Match.Clone();
            withSlash.Prefix += "/";
            yield return withSlash;
        }

        yield return unit.Match;
    }

    private static ServicePort? ServicePortFor(TranslationContext context, string service, int? port, Specs.PortProtocol protocol, string where)
    {
        var ports = ServiceRouting.Ports(context, service, where, Answers503);
        if (ports.Count == 0)
        {
            return null;
        }

        if (port is { } p)
        {
            var found = ports.Where(x => x.Port == p).ToList();
            if (found.Count == 0)
            {
                context.Warn(WarningKind.UnreachableBackend, $"{where}: virtualService/{service} has no listener on port {p}{Answers503}");
                return null;
            }

            return found[0];
        }

        if (ports.Count == 1)
        {
            return ports[0];
        }

        var sameProtocol = ports.Where(x => x.Protocol == protocol).ToList();
        if (sameProtocol.Count == 1)
        {
            return sameProtocol[0];
        }

        context.Warn(WarningKind.UnreachableBackend, $"{where}: virtualService/{service} listens on {ports.Count} ports; the gateway route needs target.port{Answers503}");
        return null;
    }

    /// <summary>How a warning of a gateway route whose target has no port to reach ends.</summary>
    private const string Answers503 = "; the gateway route answers 503 (direct response)";

    private static Unit? FromHttp(TranslationContext context, string where, string name, int? priority, Specs.HttpGatewayRoute route)
    {
        var m = route.Match;
        if (Matches.NameProblem("headers", m.Headers?.Select(h => h.Name), m.QueryParameters) is { } problem)
        {
            context.Warn(WarningKind.RouteLeftOut, LeftOut(where, problem));
            return null;
        }

        Matches.WarnOfValuesNoRequestCarries(context, where, "gateway route", "headers", m.Headers?.Select(h => (h.Match, h.Invert)), m.QueryParameters);
        var match = Matches.Path(m.Prefix, m.Path);
        AddHostname(match, m.Hostname);
        Matches.AddHeaders(match, m.Headers);
        if (m.Method is { } method)
        {
            match.Headers.Add(Matches.Exact(":method", Matches.Method(method)));
        }

        Matches.AddQuery(match, m.QueryParameters);
        var rewriteTo = PathRewrite(context, where, match, route.Action.Rewrite, hostnameOnly: m.Prefix is null && m.Path is null);
        var rewriteHost = route.Action.Rewrite?.Hostname?.DefaultTargetHostname != Specs.DefaultGatewayRouteRewrite.Disabled;
        var invalid = Matches.PathProblem(m.Prefix, m.Path) ?? HostnameProblem(m.Hostname) ?? RewriteProblem(rewriteTo);
        return new Unit(name, priority, match, rewriteTo == match.Prefix && rewriteTo is not null ? null : rewriteTo, rewriteHost, route.Action.Target, invalid);
    }

    /// <summary>
    /// A gateway route whose match has a name Envoy refuses (with the gateway's whole route configuration) cannot keep
    /// even a 503 in its place, as its match cannot be given to Envoy: it is left out, and the warning says where its
    /// requests go instead.
    /// </summary>
    private static string LeftOut(string where, string problem) =>
        $"{where}: left out: {problem}; its match cannot be given to Envoy, so requests it would match go on to the next gateway route that matches them (or get 404)";

    /// <summary>
    /// Why a hostname match, stored before the API refused it, holds a space or control character, or null. Envoy
    /// takes any text to compare the host with, but answers a request whose host has one with 400 itself.
    /// </summary>
    private static string? HostnameProblem(Specs.GatewayRouteHostnameMatch? hostname) =>
        hostname?.Exact is { } exact && HttpText.HasSpaceOrControl(exact) ? "match.hostname.exact has a space or control character, which no request's host holds"
        : hostname?.Suffix is { } suffix && HttpText.HasSpaceOrControl(suffix) ? "match.hostname.suffix has a space or control character, which no request's host holds"
        : null;

    /// <summary>
    /// Why a rewritten path, stored before the API refused it, cannot be sent on, or null: Envoy refuses a NUL, CR or
    /// LF in it (with the gateway's whole route configuration), and would send a space or another control character on
    /// in a request line the service cannot parse.
    /// </summary>
    private static string? RewriteProblem(string? rewriteTo) =>
        rewriteTo is null ? null
        : HttpText.HasNulCrOrLf(rewriteTo) ? "its rewritten path has a NUL, CR or LF, which Envoy refuses"
        : HttpText.HasSpaceOrControl(rewriteTo) ? "its rewritten path has a space or control character, which no request's path may hold"
        : null;

    /// <summary>
    /// What the matched path is rewritten to (§5), or null to forward it as it came. A prefix match rewrites the
    /// matched prefix: to "/" by default, to <c>prefix.value</c>, or not at all with <c>defaultPrefix: DISABLED</c>. An
    /// exact or regex path match keeps the path unless <c>path.exact</c> replaces the whole of it (for a regex match
    /// Envoy's <c>prefix_rewrite</c> swaps the whole matched path, as App Mesh's regex rewrite did). A rewrite of the
    /// other kind than the match cannot apply; it is warned of rather than dropped without a word.
    /// </summary>
    private static string? PathRewrite(TranslationContext context, string where, RouteMatch match, Specs.HttpGatewayRouteRewrite? rewrite, bool hostnameOnly)
    {
        var prefix = rewrite?.Prefix;
        if (match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix)
        {
            if (rewrite?.Path is not null)
            {
                context.Warn(WarningKind.SettingIgnored, hostnameOnly
                    ? $"{where}: rewrite.path is not applied: it rewrites an exact or regex path match, and this route matches every path (it has no prefix or path match; use rewrite.prefix)"
                    : $"{where}: rewrite.path is not applied: it rewrites an exact or regex path match, and this route matches the prefix '{match.Prefix}' (use rewrite.prefix)");
            }

            if (prefix?.Value is not null && prefix.DefaultPrefix == Specs.DefaultGatewayRouteRewrite.Disabled)
            {
                context.Warn(WarningKind.SettingIgnored, $"{where}: rewrite.prefix sets both value and defaultPrefix DISABLED; the value '{prefix.Value}' is applied");
            }

            return prefix?.Value ?? (prefix?.DefaultPrefix == Specs.DefaultGatewayRouteRewrite.Disabled ? null : "/");
        }

        if (prefix is not null && (prefix.Value is not null || prefix.DefaultPrefix == Specs.DefaultGatewayRouteRewrite.Enabled))
        {
            var kind = match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Path ? "an exact path" : "a regex path";
            context.Warn(WarningKind.SettingIgnored, $"{where}: rewrite.prefix is not applied: it rewrites a prefix match, and this route matches {kind} (use rewrite.path.exact)");
        }

        return rewrite?.Path?.Exact;
    }

    private static Unit? FromGrpc(TranslationContext context, string where, string name, int? priority, Specs.GrpcGatewayRoute route)
    {
        if (Matches.NameProblem("metadata", route.Match.Metadata?.Select(m => m.Name), null) is { } problem)
        {
            context.Warn(WarningKind.RouteLeftOut, LeftOut(where, problem));
            return null;
        }

        Matches.WarnOfValuesNoRequestCarries(context, where, "gateway route", "metadata", route.Match.Metadata?.Select(m => (m.Match, m.Invert)), null);
        var match = Matches.Grpc(route.Match.ServiceName, null, route.Match.Metadata);
        AddHostname(match, route.Match.Hostname);
        var rewriteHost = route.Action.Rewrite?.Hostname?.DefaultTargetHostname != Specs.DefaultGatewayRouteRewrite.Disabled;
        return new Unit(name, priority, match, null, rewriteHost, route.Action.Target, HostnameProblem(route.Match.Hostname));
    }

    /// <summary>
    /// Hostname matches test <c>:authority</c> (Host for HTTP/1.1) inside one virtual host, so priorities stay global.
    /// Host names are compared without regard to case, as Envoy compares them when it picks a virtual host.
    /// </summary>
    private static void AddHostname(RouteMatch match, Specs.GatewayRouteHostnameMatch? hostname)
    {
        if (hostname?.Exact is { } exact)
        {
            match.Headers.Add(new HeaderMatcher { Name = ":authority", StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Exact = exact, IgnoreCase = true } });
        }
        else if (hostname?.Suffix is { } suffix)
        {
            match.Headers.Add(new HeaderMatcher { Name = ":authority", StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Suffix = suffix, IgnoreCase = true } });
        }
    }
}
