using Mesh.Bootstrap;

namespace Mesh.Webhook.Hosting;

/// <summary>How injected proxies authenticate to the xDS server (the xDS server's <c>Xds:Auth:Mode</c>).</summary>
public enum ProxyAuthMode
{
    /// <summary>TLS to the xDS server and App Mesh's aws_iam-signed streams, with a per-namespace access key Secret.</summary>
    SigV4,

    /// <summary>TLS with a client certificate from a Secret, whose URI SAN names the node.</summary>
    MutualTls,

    /// <summary>Plaintext, no credentials: only against an xDS server with <c>Xds:Auth:Mode=None</c>.</summary>
    None,
}

/// <summary>Configuration section <c>Webhook</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>Where the webhook listens (HTTPS; the API server only calls webhooks over TLS).</summary>
    public string Url { get; set; } = "https://0.0.0.0:8443";

    /// <summary>PEM certificate and key for <see cref="Url"/>, issued for the webhook Service's DNS name.</summary>
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    /// <summary>The xDS server as proxies reach it, <c>host:port</c>.</summary>
    public string Xds { get; set; } = "mesh-xds.mesh-system.svc:18000";

    public ProxyAuthMode AuthMode { get; set; } = ProxyAuthMode.SigV4;

    /// <summary>The region the xDS server checks signatures against (its <c>Mesh:Region</c>).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Mesh used when a pod names a virtual node or gateway but no <c>appmesh.k8s.aws/mesh</c>.</summary>
    public string? DefaultMesh { get; set; }

    public string EnvoyImage { get; set; } = "envoyproxy/envoy:v1.32.1";

    /// <summary>An image carrying deploy/proxy-init/mesh-proxy-init (deploy/Dockerfile, target proxy-init).</summary>
    public string ProxyInitImage { get; set; } = "mesh/proxy-init:latest";

    /// <summary>Secret, in the pod's namespace, with the CA that issued the xDS server's certificate (key ca.crt).</summary>
    public string XdsCaSecret { get; set; } = "mesh-xds-ca";

    /// <summary>
    /// Default Secret, in the pod's namespace, with the proxy's credentials: AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY for SigV4 (a key from <c>api keys create --proxy</c>), tls.crt and tls.key for MutualTls.
    /// A pod can name another with the annotation <c>mesh-proxy/credentials-secret</c>.
    /// </summary>
    public string CredentialsSecret { get; set; } = "mesh-proxy-credentials";

    /// <summary>Also redirect IPv6 (APPMESH_ENABLE_IPV6).</summary>
    public bool EnableIpv6 { get; set; } = true;

    /// <summary>
    /// Bind Envoy's admin to <c>::</c>, IPv4 too, instead of <c>0.0.0.0</c> (App Mesh's ENVOY_ADMIN_ACCESS_ENABLE_IPV6):
    /// on an IPv6-only cluster the kubelet's readiness probe reaches the pod by its IPv6 address. Off by default, as in
    /// App Mesh: where a pod's kernel has IPv6 disabled, binding <c>::</c> fails and Envoy does not start.
    /// </summary>
    public bool AdminIpv6 { get; set; }

    /// <summary>
    /// A local SDS server's Unix socket on the nodes (SPIRE's agent: <c>/run/spire/sockets/agent.sock</c>), for virtual
    /// nodes whose TLS certificates or trust are <c>sds</c>: its directory is mounted into Envoy and the bootstrap gets
    /// the SDS cluster those secrets are fetched through (App Mesh's controller <c>--enable-sds</c> and
    /// <c>--sds-uds-path</c>). Unset, no SDS socket: an <c>sds</c> secret is then never delivered to the proxy.
    /// </summary>
    public string? SdsSocketPath { get; set; }

    /// <summary>Envoy's <c>--log-level</c> (App Mesh's ENVOY_LOG_LEVEL, its controller's <c>--envoy-log-level</c>).</summary>
    public string EnvoyLogLevel { get; set; } = "info";

    /// <summary>The levels Envoy's <c>--log-level</c> takes.</summary>
    internal static readonly string[] EnvoyLogLevels = ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"];

    internal HostPort XdsAddress => HostPort.TryParse(Xds, out var address)
        ? address
        : throw new WebhookConfigurationException($"Webhook:Xds must be host:port, got '{Xds}'.");
}
