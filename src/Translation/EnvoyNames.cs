using Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// App Mesh's Envoy resource names (docs/envoy-mapping.md §2), kept so that dashboards built on App Mesh stats keep
/// working, plus the names this translator adds where App Mesh had none.
/// </summary>
public static class EnvoyNames
{
    public const string IngressListener = "lds_ingress_0.0.0.0_15000";
    public const string EgressListener = "lds_egress_0.0.0.0_15001";
    public const uint IngressPort = 15000;
    public const uint EgressPort = 15001;

    /// <summary>The bootstrap's static cluster for a local SDS server (SPIRE agent); the aws-appmesh-envoy agent adds it.</summary>
    public const string SdsUnixSocketCluster = "static_cluster_sds_unix_socket";

    public const string AllowAllVirtualHost = "mesh_allow_all";

    /// <summary>
    /// The collector of the mesh's tracer (App Mesh had none: its image put the collector in the bootstrap). Not a
    /// <c>cds_*</c> name, so it can clash neither with App Mesh's names nor with the bootstrap's static tracer clusters.
    /// </summary>
    public const string TracingCollectorCluster = "mesh_tracing_collector";

    public static string Protocol(PortProtocol protocol) => protocol switch
    {
        PortProtocol.Http => "http",
        PortProtocol.Http2 => "http2",
        PortProtocol.Grpc => "grpc",
        PortProtocol.Tcp => "tcp",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };

    /// <summary>A virtual gateway binds its listener ports directly, so its listeners carry their own port.</summary>
    public static string GatewayListener(int port) => $"lds_ingress_0.0.0.0_{port}";

    public static string IngressRoute(PortProtocol protocol, int port) => $"rds_ingress_{Protocol(protocol)}_{port}";

    public static string EgressRoute(PortProtocol protocol, int port) => $"rds_egress_{Protocol(protocol)}_{port}";

    /// <summary>Route configuration of a proxyless gRPC listener; App Mesh had no proxyless clients, so the name is ours.</summary>
    public static string ProxylessRoute(string virtualService, int port) => $"rds_proxyless_{virtualService}_{port}";

    public static string IngressCluster(string mesh, string virtualNode, PortProtocol protocol, int port) =>
        $"cds_ingress_{mesh}_{virtualNode}_{Protocol(protocol)}_{port}";

    public static string EgressCluster(string mesh, string virtualNode, PortProtocol protocol, int port) =>
        $"cds_egress_{mesh}_{virtualNode}_{Protocol(protocol)}_{port}";

    /// <summary>
    /// The cluster a proxyless gRPC client uses to reach a node's listener. It differs from the sidecar's
    /// <c>cds_egress_*</c> (EDS or LOGICAL_DNS only, no TLS files, no health checks), so it has its own name and both
    /// can live in one snapshot.
    /// </summary>
    public static string ProxylessCluster(string mesh, string virtualNode, PortProtocol protocol, int port) =>
        $"cds_proxyless_{mesh}_{virtualNode}_{Protocol(protocol)}_{port}";

    /// <summary>
    /// <see cref="ProxylessCluster"/> reached over TLS as <paramref name="tlsDigest"/> (a digest of its TLS context)
    /// says: clients with different client policies reach one listener through different clusters, which may meet in
    /// one snapshot (two backends routing to the same node). It still ends in the port.
    /// </summary>
    public static string ProxylessTlsCluster(string mesh, string virtualNode, PortProtocol protocol, int port, string tlsDigest) =>
        $"cds_proxyless-tls-{tlsDigest}_{mesh}_{virtualNode}_{Protocol(protocol)}_{port}";

    /// <summary>
    /// The endpoint-less cluster a proxyless client's route with no reachable target leads to. Every node's proxyless
    /// cluster name ends in its port, so this one cannot be taken by a node.
    /// </summary>
    public static string ProxylessUnavailableCluster(string mesh) => $"cds_proxyless_{mesh}_mesh-unavailable";

    public static string AllowAllCluster(string mesh) => $"cds_egress_{mesh}_mesh-allow-all";

    public static string AmazonAwsCluster(string mesh) => $"cds_egress_{mesh}_amazonaws";
}
