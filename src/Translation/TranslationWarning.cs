namespace Mesh.Translation;

/// <summary>
/// Something of the mesh a proxy's translation could not express as asked: <see cref="Message"/> says what, where and
/// what requests get instead (shown per proxy in proxy status and logged); <see cref="Kind"/> says which kind of
/// problem it is, in a fixed set, so that the xDS server can count warnings by kind in <c>/metrics</c> without a series
/// per message. Ordered by message (ordinal), as proxy status lists them.
/// </summary>
public sealed record TranslationWarning(WarningKind Kind, string Message) : IComparable<TranslationWarning>
{
    public int CompareTo(TranslationWarning? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byMessage = string.CompareOrdinal(Message, other.Message);
        return byMessage != 0 ? byMessage : Kind.CompareTo(other.Kind);
    }

    public override string ToString() => Message;
}

/// <summary>
/// The kinds of <see cref="TranslationWarning"/>: few and fixed, as each is a <c>kind</c> label value of the warning
/// metrics. A warning's kind is its cause (a node that cannot be reached because its client policy's trust cannot be
/// delivered is <see cref="CertificateUndeliverable"/>); its message says the rest.
/// </summary>
public enum WarningKind
{
    /// <summary>A resource the configuration names does not exist: the proxy's own node or gateway, a route's target
    /// node, a backend's virtual service (or it has no provider).</summary>
    MissingResource,

    /// <summary>A target that exists cannot be reached (no service discovery, an unusable DNS hostname, no listener
    /// or port to reach it on, no target with weight): requests to it answer 503 / UNAVAILABLE, connections are not
    /// forwarded.</summary>
    UnreachableBackend,

    /// <summary>A Cloud Map service a node's discovery names is not in the registry.</summary>
    UnknownRegistryService,

    /// <summary>A node's endpoints are fewer than asked, or none: registry instances unhealthy, without a usable
    /// address, duplicated, or a DNS name that can never resolve.</summary>
    NoEndpoints,

    /// <summary>A certificate or trust the proxy is asked to use cannot be delivered to it (ACM, or an SDS or ACM
    /// one to proxyless gRPC).</summary>
    CertificateUndeliverable,

    /// <summary>A client's TLS and a listener's do not fit, so connections fail or a policy applies to nothing.</summary>
    TlsMismatch,

    /// <summary>No route serves requests that reach a port or a gateway route (404, not forwarded).</summary>
    NoRoute,

    /// <summary>A route never receives a request: one before it takes all of them.</summary>
    RouteShadowed,

    /// <summary>A route, virtual host or listener is not given to the proxy as asked (Envoy or gRPC would refuse or
    /// cannot express it, or it is for a protocol the listeners do not speak): left out, or a gateway route stored
    /// with a value the API now refuses answering 503 in its place.</summary>
    RouteLeftOut,

    /// <summary>A setting accepted by the API is not applied (a health check, outlier detection, retry, rewrite,
    /// tracing tags, a duplicate entry), while what holds it is served.</summary>
    SettingIgnored,

    /// <summary>Two things want one port or domain, and one of them is left out or would not work.</summary>
    Conflict,

    /// <summary>A route's match can never match a request: a header, metadata or query value no request can carry.</summary>
    MatchNeverMatches,
}

/// <summary>The <c>kind</c> label values of <see cref="WarningKind"/>.</summary>
public static class WarningKinds
{
    public static IReadOnlyList<WarningKind> All { get; } = Enum.GetValues<WarningKind>();

    /// <summary>The kind's label value, in snake_case (<c>unknown_registry_service</c>).</summary>
    public static string Label(this WarningKind kind) => kind switch
    {
        WarningKind.MissingResource => "missing_resource",
        WarningKind.UnreachableBackend => "unreachable_backend",
        WarningKind.UnknownRegistryService => "unknown_registry_service",
        WarningKind.NoEndpoints => "no_endpoints",
        WarningKind.CertificateUndeliverable => "certificate_undeliverable",
        WarningKind.TlsMismatch => "tls_mismatch",
        WarningKind.NoRoute => "no_route",
        WarningKind.RouteShadowed => "route_shadowed",
        WarningKind.RouteLeftOut => "route_left_out",
        WarningKind.SettingIgnored => "setting_ignored",
        WarningKind.Conflict => "conflict",
        WarningKind.MatchNeverMatches => "match_never_matches",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
