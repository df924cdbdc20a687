using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Fleet;

/// <summary>
/// A node shaped like the one an Envoy 1.32 sends: its build version, locality, client features, a little App
/// Mesh metadata, and about 390 <c>extensions</c>, which is what makes a real node about 36 KB. The extension
/// names are generated from Envoy's extension categories, so the size and shape are real without copying a list.
/// </summary>
internal static class RealisticNode
{
    /// <summary>Envoy's extension categories (the part before the extension's own name) and how many each holds.</summary>
    private static readonly (string Category, string Package, int Count)[] Categories =
    [
        ("envoy.filters.http", "filters.http", 62), ("envoy.filters.network", "filters.network", 28),
        ("envoy.filters.listener", "filters.listener", 6), ("envoy.filters.udp_listener", "filters.udp", 3),
        ("envoy.transport_sockets.upstream", "transport_sockets", 12), ("envoy.transport_sockets.downstream", "transport_sockets", 10),
        ("envoy.clusters", "clusters", 14), ("envoy.access_loggers", "access_loggers", 10), ("envoy.tracers", "tracers", 9),
        ("envoy.stats_sinks", "stat_sinks", 9), ("envoy.retry_host_predicates", "retry.host", 4), ("envoy.retry_priorities", "retry.priority", 2),
        ("envoy.health_checkers", "health_checkers", 6), ("envoy.resolvers", "network.socket_interface", 3),
        ("envoy.matching.input_matchers", "matching.input_matchers", 8), ("envoy.matching.http.input", "matching.common_inputs", 16),
        ("envoy.matching.network.input", "matching.common_inputs.network", 14), ("envoy.upstreams", "upstreams.http", 8),
        ("envoy.compression.compressor", "compression", 4), ("envoy.compression.decompressor", "compression", 4),
        ("envoy.rate_limit_descriptors", "rate_limit_descriptors", 2), ("envoy.formatter", "formatter", 6),
        ("envoy.bootstrap", "bootstrap", 8), ("envoy.quic.proof_source", "quic.proof_source", 2),
        ("envoy.http.stateful_header_formatters", "http.header_formatters", 2), ("envoy.tls.cert_validator", "transport_sockets.tls.cert_validator", 3),
        ("envoy.network.dns_resolver", "network.dns_resolver", 4), ("envoy.load_balancing_policies", "load_balancing_policies", 12),
        ("envoy.config.validators", "config.validators", 2), ("envoy.http.early_header_mutation", "http.early_header_mutation", 2),
        ("envoy.path.match", "path.match", 2), ("envoy.path.rewrite", "path.rewrite", 2), ("envoy.grpc_credentials", "grpc_credentials", 4),
        ("envoy.guarddog_actions", "watchdog", 3), ("envoy.request_id", "request_id", 2), ("envoy.udp_packet_writer", "udp_packet_writer", 2),
        ("envoy.upstream_options", "upstreams.http", 4), ("envoy.connection_handler", "connection_handler", 1),
        ("network.connection.client", "network.connection", 2), ("envoy.wasm.runtime", "wasm.runtime", 4),
        ("envoy.rbac.matchers", "rbac.matchers", 3), ("envoy.http.original_ip_detection", "http.original_ip_detection", 3),
        ("envoy.common.key_value", "key_value", 2), ("envoy.regex_engines", "regex_engines", 2),
        ("envoy.http.header_validators", "http.header_validators", 2), ("envoy.dubbo_proxy.filters", "filters.network.dubbo_proxy", 4),
        ("envoy.thrift_proxy.filters", "filters.network.thrift_proxy", 5), ("envoy.redis_proxy.filters", "filters.network.redis_proxy", 3),
        ("envoy.quic.server.crypto_stream", "quic.crypto_stream", 2), ("envoy.quic.connection_id_generator", "quic.connection_id_generator", 2),
        ("envoy.http.stateful_session", "http.stateful_session", 3), ("envoy.http.custom_response", "http.custom_response", 3),
        ("envoy.route.early_data_policy", "early_data", 1), ("envoy.router.cluster_specifier_plugin", "router.cluster_specifiers", 2),
        ("envoy.listener_manager_impl", "listener_managers", 3), ("envoy.upstream.local_address_selector", "local_address_selectors", 1),
        ("envoy.filters.http.upstream", "filters.http.upstream", 5), ("envoy.config_mux", "config_mux", 4),
        ("envoy.dubbo_proxy.route_matchers", "filters.network.dubbo_proxy.router", 1), ("envoy.thrift_proxy.protocols", "filters.network.thrift_proxy.protocols", 5),
    ];

    /// <summary>Stems the generated extension names are made of.</summary>
    private static readonly string[] Stems =
    [
        "router", "buffer", "cors", "fault", "gzip", "jwt_authn", "lua", "ratelimit", "rbac", "tap", "wasm", "csrf",
        "header_to_metadata", "ip_tagging", "health_check", "grpc_web", "grpc_stats", "ext_authz", "ext_proc", "oauth2",
        "compressor", "decompressor", "dynamic_forward_proxy", "original_src", "tls_inspector", "http_inspector",
        "proxy_protocol", "tcp_proxy", "http_connection_manager", "mongo_proxy", "mysql_proxy", "postgres_proxy",
        "zookeeper_proxy", "local_ratelimit", "connection_limit", "sni_cluster", "file", "stream", "open_telemetry",
        "zipkin", "datadog", "xray", "statsd", "dog_statsd", "metrics_service", "previous_hosts", "omit_canary_hosts",
        "round_robin", "least_request", "ring_hash", "maglev", "random", "cluster_provided", "subset", "client_side_weighted_round_robin",
        "header", "query_parameter", "destination_ip", "source_port", "server_name", "transport_protocol", "application_protocol",
        "cel", "ip", "consistent_hashing", "runtime_fraction", "metadata", "filter_state", "uuid", "cares", "getaddrinfo", "apple",
    ];

    /// <summary>
    /// The node of one proxy. With <paramref name="pod"/> set, the node is that pod's own, as on Kubernetes, where
    /// each pod of a virtual node sends the same node id but its own pod name and address: every proxy's node then
    /// differs from every other's, and the server's node interner holds one entry per proxy. Without it, every pod
    /// of a virtual node sends the same node (the fleet's default, and the best case for the interner).
    /// </summary>
    public static Node Build(string nodeId, string cluster, int extensions = 390, int? pod = null)
    {
        var podName = pod is { } p ? $"{cluster}-7d9f8c6b5-{PodSuffix(p)}" : $"{cluster}-7d9f8c6b5-x2k4p";
        var address = pod is { } q ? $"10.{(q >> 16) & 255}.{(q >> 8) & 255}.{q & 255}/16" : "10.0.12.34/24";
        var node = new Node
        {
            Id = nodeId,
            Cluster = cluster,
            UserAgentName = "envoy",
            UserAgentBuildVersion = new BuildVersion
            {
                Version = new Envoy.Type.V3.SemanticVersion { MajorNumber = 1, MinorNumber = 32, Patch = 3 },
                Metadata = new Struct
                {
                    Fields =
                    {
                        ["revision.sha"] = Value.ForString("5a0d3e7c91b04f2f6a1c8d5e9b7a3f20c4e6d8b1"),
                        ["revision.status"] = Value.ForString("Clean"),
                        ["build.type"] = Value.ForString("RELEASE"),
                        ["ssl.version"] = Value.ForString("BoringSSL"),
                    },
                },
            },
            Locality = new Locality { Region = "us-west-2", Zone = "us-west-2a" },
            Metadata = new Struct
            {
                Fields =
                {
                    ["aws.appmesh.platformInfo"] = Value.ForStruct(new Struct
                    {
                        Fields =
                        {
                            ["k8sPlatformInfo"] = Value.ForStruct(new Struct
                            {
                                Fields = { ["namespace"] = Value.ForString("fleet"), ["podName"] = Value.ForString(podName) },
                            }),
                        },
                    }),
                    ["aws.appmesh.task.interfaces"] = Value.ForString($"{{\"ipv4\":{{\"eth0\":[\"{address}\"]}}}}"),
                },
            },
        };
        node.ClientFeatures.Add(["envoy.config.require-any-fields-contain-struct", "envoy.lb.does_not_support_overprovisioning",
            "envoy.lrs.supports_send_all_clusters", "xds.config.supports-resource-ttl", "xds.config.resource-in-sotw",
            "envoy.restart_features.use_eds_cache_for_ads"]);

        var added = 0;
        for (var round = 0; added < extensions; round++)
        {
            foreach (var (category, package, count) in Categories)
            {
                for (var i = 0; i < count && added < extensions; i++)
                {
                    var stem = Stems[(i * 7 + round * 13 + category.Length) % Stems.Length];
                    var name = round == 0 ? $"{category}.{stem}" : $"{category}.{stem}_{round}";
                    var message = string.Concat(stem.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
                    var extension = new Extension { Name = name, Category = category };
                    extension.TypeUrls.Add($"envoy.extensions.{package}.{stem}.v3.{message}");
                    node.Extensions.Add(extension);
                    added++;
                }
            }
        }

        return node;
    }

    /// <summary>
    /// The node a proxy of client virtual node <paramref name="client"/> of mesh <paramref name="mesh"/> sends (with
    /// <paramref name="pod"/>, that pod's own): the fleet's proxies, and the node <see cref="NodeFile"/> writes.
    /// </summary>
    public static Node OfClient(string mesh, string client, int? pod) => Build($"mesh/{mesh}/virtualNode/{client}", client, pod: pod);

    /// <summary>A pod-name suffix like Kubernetes' (five lower-case letters and digits), distinct for each pod number.</summary>
    private static string PodSuffix(int pod)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var chars = new char[5];
        for (var i = 4; i >= 0; i--)
        {
            chars[i] = alphabet[pod % alphabet.Length];
            pod /= alphabet.Length;
        }

        return new string(chars);
    }
}
