namespace Mesh.Bootstrap;

/// <summary>Everything a bootstrap is made from. Only <see cref="NodeId"/> and <see cref="Xds"/> are required.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Default xDS address: the xDS server's gRPC port on this machine (README, Ports).</summary>
    public static readonly HostPort DefaultXds = new("127.0.0.1", 18000);

    /// <summary>Envoy's <c>node.id</c>, exactly as given: an App Mesh ARN or <c>mesh/&lt;m&gt;/virtualNode|virtualGateway/&lt;n&gt;</c>.</summary>
    public required string NodeId { get; init; }

    /// <summary><c>node.cluster</c>; the node id when not set (as App Mesh's agent does without APPMESH_RESOURCE_CLUSTER).</summary>
    public string? Cluster { get; init; }

    /// <summary>Where the xDS server's gRPC (ADS) port is.</summary>
    public HostPort Xds { get; init; } = DefaultXds;

    /// <summary>Incremental (delta) xDS instead of state of the world.</summary>
    public bool Delta { get; init; }

    /// <summary>Admin interface; App Mesh's agent binds 0.0.0.0:9901.</summary>
    public string AdminAddress { get; init; } = "0.0.0.0";

    public int AdminPort { get; init; } = 9901;

    /// <summary>Where the admin interface logs its requests.</summary>
    public string AdminAccessLogPath { get; init; } = "/dev/null";

    /// <summary>How long Envoy waits for its first LDS/CDS answer before starting anyway; zero (App Mesh's default) waits forever.</summary>
    public TimeSpan InitialFetchTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>TLS to the xDS server; plaintext HTTP/2 (h2c) when null.</summary>
    public XdsTlsOptions? Tls { get; init; }

    /// <summary>SigV4-signed xDS calls (App Mesh's <c>envoy.grpc_credentials.aws_iam</c>); needs <see cref="Tls"/>.</summary>
    public SigV4Options? SigV4 { get; init; }

    /// <summary>A tracer for HTTP connection managers that enable tracing.</summary>
    public TracingOptions? Tracing { get; init; }

    /// <summary>Which stats tags: by default exactly App Mesh's (<c>appmesh.mesh</c>, <c>appmesh.virtual_node</c>, ingress listener protocol, port and route configuration).</summary>
    public StatsTagsStyle StatsTags { get; init; } = StatsTagsStyle.AppMesh;

    /// <summary>Unix socket of a local SDS server (e.g. a SPIRE agent); adds <c>static_cluster_sds_unix_socket</c> as App Mesh's agent does.</summary>
    public string? SdsSocketPath { get; init; }

    /// <summary>
    /// A DogStatsD agent Envoy's stats are sent to (App Mesh's ENABLE_ENVOY_DOG_STATSD with STATSD_ADDRESS and
    /// STATSD_PORT, or STATSD_SOCKET_PATH); none when null.
    /// </summary>
    public DogStatsdTarget? DogStatsd { get; init; }

    /// <summary>How often Envoy flushes stats to its sinks (App Mesh's ENVOY_STATS_FLUSH_INTERVAL); Envoy's 5 s when null.</summary>
    public TimeSpan? StatsFlushInterval { get; init; }

    /// <summary>Where outlier-detection ejection events are written (App Mesh's default: stdout).</summary>
    public string? OutlierEventLogPath { get; init; } = "/dev/stdout";

    /// <summary>
    /// Asks the xDS server to register this sidecar in its virtual node's Cloud Map service while connected
    /// (node metadata <c>mesh.registration</c>); null registers nothing.
    /// </summary>
    public InstanceRegistration? RegisterInstance { get; init; }
}

/// <summary>The instance a sidecar is registered as: the address its application is reached at.</summary>
public sealed record InstanceRegistration
{
    /// <summary>An IPv4 or IPv6 address (Cloud Map's AWS_INSTANCE_IPV4 / AWS_INSTANCE_IPV6), never a name.</summary>
    public required string Address { get; init; }

    /// <summary>AWS_INSTANCE_PORT; without it callers use each listener's port.</summary>
    public int? Port { get; init; }

    /// <summary>The Cloud Map instance id; the server makes one from the address and port when not set.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Reads <c>&lt;ip&gt;</c>, <c>&lt;ip&gt;:&lt;port&gt;</c> or <c>[&lt;ipv6&gt;]:&lt;port&gt;</c>.</summary>
    public static InstanceRegistration Parse(string value, string? instanceId)
    {
        if (System.Net.IPAddress.TryParse(value, out var bare) && !value.StartsWith('['))
        {
            return new InstanceRegistration { Address = bare.ToString(), InstanceId = instanceId };
        }

        if (HostPort.TryParse(value, out var withPort) && System.Net.IPAddress.TryParse(withPort.Host, out var ip))
        {
            return new InstanceRegistration { Address = ip.ToString(), Port = withPort.Port, InstanceId = instanceId };
        }

        throw new ArgumentException($"register-instance '{value}' is not <ip> or <ip>:<port> ([<ipv6>]:<port>): Cloud Map instances are registered by address.");
    }
}

/// <summary>TLS from Envoy to the xDS server.</summary>
public sealed record XdsTlsOptions
{
    /// <summary>PEM file of the CA that signed the xDS server's certificate, as seen inside the proxy's container.</summary>
    public required string CaFile { get; init; }

    /// <summary>SNI and the name the server certificate must carry; the xDS host when not set.</summary>
    public string? ServerName { get; init; }

    /// <summary>Client certificate and key for mutual TLS (both or neither).</summary>
    public string? CertificateFile { get; init; }

    public string? PrivateKeyFile { get; init; }
}

/// <summary>
/// SigV4 on xDS calls, the way App Mesh's image signs them: Envoy's <c>envoy.grpc_credentials.aws_iam</c> call
/// credentials, which exist only for the <c>google_grpc</c> client, so with this set the ADS service is a google_grpc
/// service over TLS instead of the <c>xds_cluster</c>. The credentials come from the proxy's environment (AWS_ACCESS_KEY_ID…).
/// </summary>
public sealed record SigV4Options
{
    public required string Region { get; init; }

    public string SigningName { get; init; } = "appmesh";
}

public enum TracingProvider
{
    /// <summary>Zipkin v2 over HTTP (JSON).</summary>
    Zipkin,

    /// <summary>Jaeger's Zipkin-compatible collector (port 9411), as App Mesh's ENABLE_ENVOY_JAEGER_TRACING did.</summary>
    Jaeger,

    /// <summary>OpenTelemetry OTLP over gRPC (collector port 4317).</summary>
    OpenTelemetry,
}

public sealed record TracingOptions
{
    public required TracingProvider Provider { get; init; }

    public required HostPort Collector { get; init; }

    /// <summary>The service name spans carry; <c>&lt;mesh&gt;/&lt;name&gt;</c> (App Mesh's X-Ray segment name) when not set.</summary>
    public string? ServiceName { get; init; }
}

/// <summary>Where a DogStatsD agent listens: a UDP address, or a Unix datagram socket.</summary>
public sealed record DogStatsdTarget
{
    /// <summary>UDP host (an IP address, as Envoy's socket address needs) and port; null with <see cref="SocketPath"/>.</summary>
    public HostPort? Address { get; init; }

    /// <summary>A Unix socket path; null with <see cref="Address"/>.</summary>
    public string? SocketPath { get; init; }

    /// <summary>
    /// Reads <c>host:port</c> (App Mesh's STATSD_ADDRESS and STATSD_PORT; <c>127.0.0.1:8125</c> by default) or
    /// <c>unix:&lt;path&gt;</c> (its STATSD_SOCKET_PATH).
    /// </summary>
    public static DogStatsdTarget Parse(string value)
    {
        if (value.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = value["unix:".Length..];
            return path.StartsWith('/') ? new DogStatsdTarget { SocketPath = path } : throw new ArgumentException($"dogstatsd 'unix:{path}' needs an absolute socket path.");
        }

        var address = value.Length == 0 ? new HostPort("127.0.0.1", 8125) : HostPort.Parse(value, "dogstatsd");
        return System.Net.IPAddress.TryParse(address.Host.Trim('[', ']'), out _)
            ? new DogStatsdTarget { Address = address }
            : throw new ArgumentException($"dogstatsd '{value}' must be an IP address and port (Envoy sends its UDP packets to an address, not a name), or unix:<path>.");
    }
}
