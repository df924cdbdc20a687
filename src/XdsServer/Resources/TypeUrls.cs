namespace Mesh.XdsServer.Resources;

/// <summary>The v3 resource type URLs this server serves, and the order ADS sends them in.</summary>
public static class TypeUrls
{
    private const string Prefix = "type.googleapis.com/";

    public const string Listener = Prefix + "envoy.config.listener.v3.Listener";
    public const string Route = Prefix + "envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = Prefix + "envoy.config.cluster.v3.Cluster";
    public const string Endpoint = Prefix + "envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Secret = Prefix + "envoy.extensions.transport_sockets.tls.v3.Secret";

    /// <summary>
    /// Make-before-break order for ADS (xDS protocol, "Eventual consistency considerations"): clusters, then
    /// their endpoints, then listeners, then the routes those listeners name. Secrets last, like go-control-plane.
    /// </summary>
    public static IReadOnlyList<string> AdsOrder { get; } = [Cluster, Endpoint, Listener, Route, Secret];

    /// <summary>
    /// Where removals of <paramref name="typeUrl"/> go among those of a push, sent after everything else: the reverse
    /// of what refers to what (xDS protocol, "Eventual consistency considerations": a cluster is removed only once
    /// nothing refers to it). Listeners first, then the route configurations they named, then clusters, their
    /// endpoints, and the secrets listeners and clusters used.
    /// </summary>
    public static int RemovalRank(string typeUrl) => typeUrl switch
    {
        Listener => 0,
        Route => 1,
        Cluster => 2,
        Endpoint => 3,
        _ => 4,
    };

    /// <summary>LDS and CDS are state-of-the-world: a resource missing from a response is removed.</summary>
    public static bool IsFullState(string typeUrl) => typeUrl is Listener or Cluster;

    public static bool IsKnown(string typeUrl) => typeUrl is Listener or Route or Cluster or Endpoint or Secret;

    /// <summary>
    /// This class's own instance of a known type URL (null for an unknown one). A request's type URL is a new string
    /// each time it is parsed; a stream keeps the shared one instead of one copy per type per stream.
    /// </summary>
    public static string? Known(string typeUrl) => typeUrl switch
    {
        Listener => Listener,
        Route => Route,
        Cluster => Cluster,
        Endpoint => Endpoint,
        Secret => Secret,
        _ => null,
    };

    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Listener => "lds",
        Route => "rds",
        Cluster => "cds",
        Endpoint => "eds",
        Secret => "sds",
        _ => "unknown",
    };
}
