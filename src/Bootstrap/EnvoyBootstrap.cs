using Mesh.Model.Identity;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Bootstrap;

/// <summary>
/// Builds a complete Envoy v3 bootstrap for one proxy: its App Mesh identity as <c>node.id</c>, one ADS stream to the
/// xDS server (LDS and CDS over ADS; RDS, EDS and SDS follow from what the server sends), the admin interface, App
/// Mesh's stats tags and runtime flags, and optionally TLS or SigV4 to the xDS server and a tracer.
/// The result is the proto3 JSON mapping of <c>envoy.config.bootstrap.v3.Bootstrap</c>, with the proto field names
/// Envoy's own docs use; <see cref="ToYaml"/> renders it for <c>envoy -c</c>.
/// </summary>
public static class EnvoyBootstrap
{
    /// <summary>The static cluster that reaches the xDS server.</summary>
    public const string XdsClusterName = "xds_cluster";

    /// <summary>App Mesh's name for the cluster of a local SDS server (docs/envoy-mapping.md §2).</summary>
    public const string SdsClusterName = "static_cluster_sds_unix_socket";

    private const string TypePrefix = "type.googleapis.com/";

    /// <summary>App Mesh's gRPC keepalive on the xDS channel: a ping every 10 s, dead after 20 s without an answer.</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(20);

    public static string ToYaml(BootstrapOptions options) =>
        YamlWriter.Write(Build(options), Header(options));

    public static string ToJson(BootstrapOptions options) =>
        Build(options).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public static JsonObject Build(BootstrapOptions options)
    {
        var resource = Mesh.Model.Identity.NodeId.Parse(options.NodeId, subject: "node");
        Validate(options);

        var bootstrap = new JsonObject
        {
            ["node"] = Node(options, resource),
            ["admin"] = Admin(options),
            ["layered_runtime"] = new JsonObject
            {
                ["layers"] = new JsonArray(
                    new JsonObject
                    {
                        ["name"] = "static_layer_0",
                        ["static_layer"] = new JsonObject
                        {
                            // App Mesh's agent sets both: translated config may use fields Envoy has deprecated, and
                            // regexes from route matches may be large.
                            ["envoy.features.enable_all_deprecated_features"] = true,
                            ["re2.max_program_size.error_level"] = 1000,
                        },
                    },
                    new JsonObject { ["name"] = "admin_layer", ["admin_layer"] = new JsonObject() }),
            },
            ["dynamic_resources"] = DynamicResources(options),
            ["static_resources"] = new JsonObject { ["clusters"] = StaticClusters(options) },
        };

        if (options.OutlierEventLogPath is { Length: > 0 } eventLog)
        {
            bootstrap["cluster_manager"] = new JsonObject { ["outlier_detection"] = new JsonObject { ["event_log_path"] = eventLog } };
        }

        if (options.StatsTags != StatsTagsStyle.None)
        {
            bootstrap["stats_config"] = new JsonObject { ["stats_tags"] = StatsTags.For(resource, options.StatsTags) };
        }

        if (options.Tracing is { } tracing)
        {
            bootstrap["tracing"] = new JsonObject { ["http"] = Tracer(tracing, resource) };
        }

        return bootstrap;
    }

    private static void Validate(BootstrapOptions options)
    {
        if (options.Cluster is { } cluster && string.IsNullOrWhiteSpace(cluster))
        {
            throw new ArgumentException("The cluster must not be empty.");
        }

        if (options.AdminPort is < 1 or > 65535)
        {
            throw new ArgumentException($"The admin port {options.AdminPort} is not between 1 and 65535.");
        }

        if (!IPAddress.TryParse(options.AdminAddress, out _))
        {
            throw new ArgumentException($"The admin address '{options.AdminAddress}' is not an IP address.");
        }

        if (options.InitialFetchTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("The initial fetch timeout must not be negative.");
        }

        if (options.Tls is { } tls)
        {
            if (string.IsNullOrWhiteSpace(tls.CaFile))
            {
                throw new ArgumentException("TLS to the xDS server needs the CA file (--ca).");
            }

            if ((tls.CertificateFile is null) != (tls.PrivateKeyFile is null))
            {
                throw new ArgumentException("A client certificate needs its private key, and a key its certificate (--cert and --key).");
            }
        }

        if (options.SigV4 is { } sigV4)
        {
            if (options.Tls is null)
            {
                throw new ArgumentException("SigV4 on xDS needs TLS to the xDS server (--xds-tls --ca <file>): gRPC sends call credentials only over a secure channel.");
            }

            if (string.IsNullOrWhiteSpace(sigV4.Region) || string.IsNullOrWhiteSpace(sigV4.SigningName))
            {
                throw new ArgumentException("SigV4 needs a region and a signing name.");
            }
        }
    }

    private static string Header(BootstrapOptions options)
    {
        var lines = new List<string>
        {
            $"Envoy bootstrap for {options.NodeId}, written by Mesh (Mesh.Api bootstrap / GET /envoy/bootstrap).",
            $"Configuration comes from the xDS server at {options.Xds} ({(options.Delta ? "delta" : "state of the world")} ADS).",
            "Use: envoy -c bootstrap.yaml   or, in App Mesh's image: ENVOY_CONFIG_FILE=/path/bootstrap.yaml",
        };
        if (options.SigV4 is not null)
        {
            lines.Add("SigV4 on xDS: signed by envoy.grpc_credentials.aws_iam (google_grpc); the server must verify it (see README).");
        }

        if (options.RegisterInstance is { } register)
        {
            lines.Add($"Registered in the node's Cloud Map service as {register.Address}{(register.Port is { } p ? $" port {p}" : "")} while connected (docs/cloud-map.md).");
        }

        return string.Join('\n', lines);
    }

    private static JsonObject Node(BootstrapOptions options, NodeId resource)
    {
        var mesh = new JsonObject
        {
            ["mesh"] = resource.Mesh,
            ["kind"] = resource.Kind.WireName(),
            ["name"] = resource.Name,
        };
        if (resource.MeshOwner is { } owner)
        {
            mesh["meshOwner"] = owner;
        }

        var metadata = new JsonObject
        {
            // What the proxy runs for, readable without parsing node.id; the server still goes by node.id.
            ["mesh.resource"] = mesh,
        };
        if (options.RegisterInstance is { } register)
        {
            // Read by the xDS server, which registers the sidecar in Cloud Map while this stream is connected.
            var registration = new JsonObject { ["address"] = register.Address };
            if (register.Port is { } port)
            {
                registration["port"] = port;
            }

            if (register.InstanceId is { } instanceId)
            {
                registration["instanceId"] = instanceId;
            }

            metadata["mesh.registration"] = registration;
        }

        return new JsonObject
        {
            ["id"] = options.NodeId,
            ["cluster"] = options.Cluster ?? options.NodeId,
            ["metadata"] = metadata,
        };
    }

    private static JsonObject Admin(BootstrapOptions options) => new()
    {
        ["access_log"] = new JsonArray(new JsonObject
        {
            ["name"] = "envoy.access_loggers.file",
            ["typed_config"] = new JsonObject
            {
                ["@type"] = TypePrefix + "envoy.extensions.access_loggers.file.v3.FileAccessLog",
                ["path"] = options.AdminAccessLogPath,
            },
        }),
        ["address"] = AdminAddress(options),
    };

    /// <summary>The admin socket; <c>::</c> also accepts IPv4, as App Mesh's ENVOY_ADMIN_ACCESS_ENABLE_IPV6 did.</summary>
    private static JsonObject AdminAddress(BootstrapOptions options)
    {
        var address = SocketAddress(options.AdminAddress, options.AdminPort);
        if (IPAddress.Parse(options.AdminAddress).Equals(IPAddress.IPv6Any))
        {
            address["socket_address"]!["ipv4_compat"] = true;
        }

        return address;
    }

    private static JsonObject DynamicResources(BootstrapOptions options)
    {
        JsonObject AdsSource() => new()
        {
            ["initial_fetch_timeout"] = Duration(options.InitialFetchTimeout),
            ["resource_api_version"] = "V3",
            ["ads"] = new JsonObject(),
        };

        return new JsonObject
        {
            ["ads_config"] = new JsonObject
            {
                ["api_type"] = options.Delta ? "DELTA_GRPC" : "GRPC",
                ["transport_api_version"] = "V3",
                // Mesh's xDS server takes the node from a stream's first request and keeps it for the stream, so
                // Envoy need not repeat it (with its metadata) in every later request.
                ["set_node_on_first_message_only"] = true,
                ["grpc_services"] = new JsonArray(options.SigV4 is { } sigV4 ? SignedGoogleGrpc(options, sigV4) : EnvoyGrpc()),
            },
            ["lds_config"] = AdsSource(),
            ["cds_config"] = AdsSource(),
        };
    }

    private static JsonObject EnvoyGrpc() => new()
    {
        ["envoy_grpc"] = new JsonObject
        {
            ["cluster_name"] = XdsClusterName,
            // Reconnect quickly after an xDS server restart or failover, backing off to 30 s.
            ["retry_policy"] = new JsonObject
            {
                ["retry_back_off"] = new JsonObject { ["base_interval"] = "1s", ["max_interval"] = "30s" },
            },
        },
    };

    /// <summary>
    /// App Mesh's signed channel: google_grpc with TLS channel credentials and the aws_iam call-credentials plugin,
    /// with App Mesh's keepalive channel arguments. The AWS credentials come from the proxy's environment.
    /// </summary>
    private static JsonObject SignedGoogleGrpc(BootstrapOptions options, SigV4Options sigV4)
    {
        var tls = options.Tls!;
        var ssl = new JsonObject { ["root_certs"] = new JsonObject { ["filename"] = tls.CaFile } };
        if (tls.CertificateFile is { } cert)
        {
            ssl["private_key"] = new JsonObject { ["filename"] = tls.PrivateKeyFile };
            ssl["cert_chain"] = new JsonObject { ["filename"] = cert };
        }

        static JsonObject Int(long value) => new() { ["int_value"] = value };

        var channelArgs = new JsonObject
        {
            ["grpc.http2.max_pings_without_data"] = Int(0),
            ["grpc.keepalive_time_ms"] = Int((long)KeepaliveInterval.TotalMilliseconds),
            ["grpc.keepalive_timeout_ms"] = Int((long)KeepaliveTimeout.TotalMilliseconds),
        };
        if (tls.ServerName is { } serverName)
        {
            channelArgs["grpc.ssl_target_name_override"] = new JsonObject { ["string_value"] = serverName };
        }

        return new JsonObject
        {
            ["google_grpc"] = new JsonObject
            {
                ["target_uri"] = options.Xds.ToString(),
                ["stat_prefix"] = "ads",
                ["channel_credentials"] = new JsonObject { ["ssl_credentials"] = ssl },
                ["call_credentials"] = new JsonArray(new JsonObject
                {
                    ["from_plugin"] = new JsonObject
                    {
                        ["name"] = "envoy.grpc_credentials.aws_iam",
                        ["typed_config"] = new JsonObject
                        {
                            ["@type"] = TypePrefix + "envoy.config.grpc_credential.v3.AwsIamConfig",
                            ["service_name"] = sigV4.SigningName,
                            ["region"] = sigV4.Region,
                        },
                    },
                }),
                ["credentials_factory_name"] = "envoy.grpc_credentials.aws_iam",
                ["channel_args"] = new JsonObject { ["args"] = channelArgs },
            },
        };
    }

    private static JsonArray StaticClusters(BootstrapOptions options)
    {
        var clusters = new JsonArray();
        if (options.SigV4 is null)
        {
            clusters.Add(XdsCluster(options));
        }

        if (options.SdsSocketPath is { Length: > 0 } socket)
        {
            clusters.Add(new JsonObject
            {
                ["name"] = SdsClusterName,
                ["type"] = "STATIC",
                ["connect_timeout"] = "1s",
                ["typed_extension_protocol_options"] = Http2Options(keepalive: false),
                ["load_assignment"] = LoadAssignment(SdsClusterName, new JsonObject { ["pipe"] = new JsonObject { ["path"] = socket } }),
            });
        }

        if (options.Tracing is { } tracing)
        {
            var name = TracingClusterName(tracing.Provider);
            var cluster = new JsonObject
            {
                ["name"] = name,
                ["type"] = IsIp(tracing.Collector.Host) ? "STATIC" : "STRICT_DNS",
                ["connect_timeout"] = "1s",
                ["dns_lookup_family"] = "V4_PREFERRED",
                ["load_assignment"] = LoadAssignment(name, SocketAddress(tracing.Collector.Host, tracing.Collector.Port)),
            };
            if (tracing.Provider == TracingProvider.OpenTelemetry)
            {
                cluster["typed_extension_protocol_options"] = Http2Options(keepalive: false); // OTLP/gRPC
            }

            clusters.Add(cluster);
        }

        return clusters;
    }

    private static JsonObject XdsCluster(BootstrapOptions options)
    {
        var cluster = new JsonObject
        {
            ["name"] = XdsClusterName,
            // A name (e.g. a Kubernetes Service or a compose service) is resolved; an IP is used as is.
            ["type"] = IsIp(options.Xds.Host) ? "STATIC" : "STRICT_DNS",
            ["connect_timeout"] = "1s",
            ["dns_lookup_family"] = "V4_PREFERRED",
            ["typed_extension_protocol_options"] = Http2Options(keepalive: true),
            ["upstream_connection_options"] = new JsonObject
            {
                ["tcp_keepalive"] = new JsonObject { ["keepalive_time"] = 60, ["keepalive_interval"] = 10, ["keepalive_probes"] = 3 },
            },
            ["load_assignment"] = LoadAssignment(XdsClusterName, SocketAddress(options.Xds.Host, options.Xds.Port)),
        };

        if (options.Tls is { } tls)
        {
            var serverName = tls.ServerName ?? options.Xds.Host;
            var validation = new JsonObject
            {
                ["trusted_ca"] = new JsonObject { ["filename"] = tls.CaFile },
                ["match_typed_subject_alt_names"] = new JsonArray(new JsonObject
                {
                    ["san_type"] = IsIp(serverName) ? "IP_ADDRESS" : "DNS",
                    ["matcher"] = new JsonObject { ["exact"] = serverName },
                }),
            };
            var common = new JsonObject
            {
                ["alpn_protocols"] = new JsonArray("h2"),
                ["validation_context"] = validation,
            };
            if (tls.CertificateFile is { } cert)
            {
                common["tls_certificates"] = new JsonArray(new JsonObject
                {
                    ["certificate_chain"] = new JsonObject { ["filename"] = cert },
                    ["private_key"] = new JsonObject { ["filename"] = tls.PrivateKeyFile },
                });
            }

            var context = new JsonObject
            {
                ["@type"] = TypePrefix + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                ["common_tls_context"] = common,
            };
            if (!IsIp(serverName))
            {
                context["sni"] = serverName;
            }

            cluster["transport_socket"] = new JsonObject
            {
                ["name"] = "envoy.transport_sockets.tls",
                ["typed_config"] = context,
            };
        }

        return cluster;
    }

    /// <summary>HTTP/2 to the upstream (gRPC), with App Mesh's keepalive on the xDS channel.</summary>
    private static JsonObject Http2Options(bool keepalive)
    {
        var http2 = new JsonObject();
        if (keepalive)
        {
            http2["connection_keepalive"] = new JsonObject
            {
                ["interval"] = Duration(KeepaliveInterval),
                ["timeout"] = Duration(KeepaliveTimeout),
            };
        }

        return new JsonObject
        {
            ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = new JsonObject
            {
                ["@type"] = TypePrefix + "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                ["explicit_http_config"] = new JsonObject { ["http2_protocol_options"] = http2 },
            },
        };
    }

    public static string TracingClusterName(TracingProvider provider) => provider switch
    {
        TracingProvider.Zipkin => "zipkin",
        TracingProvider.Jaeger => "jaeger",
        TracingProvider.OpenTelemetry => "opentelemetry_collector",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    /// <summary>
    /// The tracer in the bootstrap's <c>tracing.http</c>: Envoy uses it for every HTTP connection manager that has
    /// <c>tracing</c> set and names no provider of its own. Envoy marks this bootstrap field deprecated in favour of
    /// <c>HttpConnectionManager.tracing.provider</c> but still honours it (App Mesh's agent used it the same way).
    /// </summary>
    private static JsonObject Tracer(TracingOptions tracing, NodeId resource)
    {
        var cluster = TracingClusterName(tracing.Provider);
        var serviceName = tracing.ServiceName ?? $"{resource.Mesh}/{resource.Name}";
        return tracing.Provider switch
        {
            TracingProvider.OpenTelemetry => new JsonObject
            {
                ["name"] = "envoy.tracers.opentelemetry",
                ["typed_config"] = new JsonObject
                {
                    ["@type"] = TypePrefix + "envoy.config.trace.v3.OpenTelemetryConfig",
                    ["grpc_service"] = new JsonObject
                    {
                        ["envoy_grpc"] = new JsonObject { ["cluster_name"] = cluster },
                        ["timeout"] = "1s",
                    },
                    ["service_name"] = serviceName,
                },
            },
            _ => new JsonObject
            {
                ["name"] = "envoy.tracers.zipkin",
                ["typed_config"] = new JsonObject
                {
                    ["@type"] = TypePrefix + "envoy.config.trace.v3.ZipkinConfig",
                    ["collector_cluster"] = cluster,
                    ["collector_endpoint"] = "/api/v2/spans",
                    ["collector_endpoint_version"] = "HTTP_JSON",
                    ["shared_span_context"] = false,
                },
            },
        };
    }

    private static JsonObject LoadAssignment(string clusterName, JsonObject address) => new()
    {
        ["cluster_name"] = clusterName,
        ["endpoints"] = new JsonArray(new JsonObject
        {
            ["lb_endpoints"] = new JsonArray(new JsonObject
            {
                ["endpoint"] = new JsonObject { ["address"] = address },
            }),
        }),
    };

    private static JsonObject SocketAddress(string host, int port) => new()
    {
        ["socket_address"] = new JsonObject { ["address"] = host, ["port_value"] = port },
    };

    private static bool IsIp(string host) => IPAddress.TryParse(host, out _);

    private static string Duration(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0
            ? $"{(long)value.TotalSeconds}s"
            : $"{value.TotalSeconds.ToString("0.#########", System.Globalization.CultureInfo.InvariantCulture)}s";
}
