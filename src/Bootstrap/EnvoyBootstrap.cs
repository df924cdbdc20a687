using Envoy.Config.Accesslog.V3;
using Envoy.Config.Bootstrap.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.GrpcCredential.V3;
using Envoy.Config.Metrics.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Identity;
using System.Net;
using System.Text.Json.Nodes;
using BootstrapProto = Envoy.Config.Bootstrap.V3.Bootstrap;
using GoogleGrpc = Envoy.Config.Core.V3.GrpcService.Types.GoogleGrpc;
using ProtoDuration = Google.Protobuf.WellKnownTypes.Duration;
using UpstreamHttpOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Mesh.Bootstrap;

/// <summary>
/// Builds a complete Envoy v3 bootstrap for one proxy: its App Mesh identity as <c>node.id</c>, one ADS stream to the
/// xDS server (LDS and CDS over ADS; RDS, EDS and SDS follow from what the server sends), the admin interface, App
/// Mesh's stats tags and runtime flags, and optionally TLS or SigV4 to the xDS server and a tracer.
/// The result is an <c>envoy.config.bootstrap.v3.Bootstrap</c> message; <see cref="ToJson"/> gives its proto3 JSON
/// mapping with the proto field names Envoy's own docs use, and <see cref="ToYaml"/> the same as YAML for <c>envoy -c</c>.
/// </summary>
public static class EnvoyBootstrap
{
    /// <summary>The static cluster that reaches the xDS server.</summary>
    public const string XdsClusterName = "xds_cluster";

    /// <summary>App Mesh's name for the cluster of a local SDS server (docs/envoy-mapping.md §2).</summary>
    public const string SdsClusterName = "static_cluster_sds_unix_socket";

    private const string Http2OptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>App Mesh's gRPC keepalive on the xDS channel: a ping every 10 s, dead after 20 s without an answer.</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Every message the bootstrap packs into an <c>Any</c>, so the formatter can write it out.</summary>
    private static readonly TypeRegistry AnyTypes = TypeRegistry.FromMessages(
        FileAccessLog.Descriptor,
        AwsIamConfig.Descriptor,
        UpstreamTlsContext.Descriptor,
        UpstreamHttpOptions.Descriptor,
        OpenTelemetryConfig.Descriptor,
        ZipkinConfig.Descriptor,
        DogStatsdSink.Descriptor);

    private static readonly JsonFormatter Formatter = new(
        JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithTypeRegistry(AnyTypes).WithIndentation());

    public static string ToYaml(BootstrapOptions options) =>
        YamlWriter.Write(JsonNode.Parse(ToJson(options))!, Header(options));

    public static string ToJson(BootstrapOptions options) => Formatter.Format(Build(options));

    public static BootstrapProto Build(BootstrapOptions options)
    {
        var resource = Mesh.Model.Identity.NodeId.Parse(options.NodeId, subject: "node");
        Validate(options);

        var bootstrap = new BootstrapProto
        {
            Node = Node(options, resource),
            Admin = Admin(options),
            LayeredRuntime = new LayeredRuntime
            {
                Layers =
                {
                    new RuntimeLayer
                    {
                        Name = "static_layer_0",
                        // App Mesh's agent sets both: translated config may use fields Envoy has deprecated, and
                        // regexes from route matches may be large.
                        StaticLayer = new Struct
                        {
                            Fields =
                            {
                                ["envoy.features.enable_all_deprecated_features"] = Value.ForBool(true),
                                ["re2.max_program_size.error_level"] = Value.ForNumber(1000),
                            },
                        },
                    },
                    new RuntimeLayer { Name = "admin_layer", AdminLayer = new RuntimeLayer.Types.AdminLayer() },
                },
            },
            DynamicResources = DynamicResources(options),
            StaticResources = new BootstrapProto.Types.StaticResources { Clusters = { StaticClusters(options) } },
        };

        if (options.OutlierEventLogPath is { Length: > 0 } eventLog)
        {
            bootstrap.ClusterManager = new ClusterManager
            {
                OutlierDetection = new ClusterManager.Types.OutlierDetection { EventLogPath = eventLog },
            };
        }

        if (options.StatsTags != StatsTagsStyle.None)
        {
            bootstrap.StatsConfig = new StatsConfig { StatsTags = { StatsTags.Tags(resource, options.StatsTags) } };
        }

        if (options.DogStatsd is { } dogStatsd)
        {
            bootstrap.StatsSinks.Add(new StatsSink { Name = "envoy.stat_sinks.dog_statsd", TypedConfig = Any.Pack(DogStatsd(dogStatsd)) });
        }

        if (options.StatsFlushInterval is { } flush)
        {
            bootstrap.StatsFlushInterval = ProtoDuration.FromTimeSpan(flush);
        }

        if (options.Tracing is { } tracing)
        {
#pragma warning disable CS0612 // deprecated in Envoy's proto but honoured; see Tracer.
            bootstrap.Tracing = new Tracing { Http = Tracer(tracing, resource) };
#pragma warning restore CS0612
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

    private static Node Node(BootstrapOptions options, NodeId resource)
    {
        var mesh = new Struct
        {
            Fields =
            {
                ["mesh"] = Value.ForString(resource.Mesh),
                ["kind"] = Value.ForString(resource.Kind.WireName()),
                ["name"] = Value.ForString(resource.Name),
            },
        };
        if (resource.MeshOwner is { } owner)
        {
            mesh.Fields["meshOwner"] = Value.ForString(owner);
        }

        var metadata = new Struct
        {
            // What the proxy runs for, readable without parsing node.id; the server still goes by node.id.
            Fields = { ["mesh.resource"] = Value.ForStruct(mesh) },
        };
        if (options.RegisterInstance is { } register)
        {
            // Read by the xDS server, which registers the sidecar in Cloud Map while this stream is connected.
            var registration = new Struct { Fields = { ["address"] = Value.ForString(register.Address) } };
            if (register.Port is { } port)
            {
                registration.Fields["port"] = Value.ForNumber(port);
            }

            if (register.InstanceId is { } instanceId)
            {
                registration.Fields["instanceId"] = Value.ForString(instanceId);
            }

            metadata.Fields["mesh.registration"] = Value.ForStruct(registration);
        }

        return new Node
        {
            Id = options.NodeId,
            Cluster = options.Cluster ?? options.NodeId,
            Metadata = metadata,
        };
    }

    /// <summary>App Mesh's agent's sink: UDP to the agent's address, or its Unix socket.</summary>
    private static DogStatsdSink DogStatsd(DogStatsdTarget target) => target.SocketPath is { } path
        ? new DogStatsdSink { Address = new Address { Pipe = new Pipe { Path = path } } }
        : new DogStatsdSink { Address = UdpAddress(target.Address!.Host.Trim('[', ']'), target.Address.Port) };

    private static Address UdpAddress(string host, int port)
    {
        var address = SocketAddress(host, port);
        address.SocketAddress.Protocol = Envoy.Config.Core.V3.SocketAddress.Types.Protocol.Udp;
        return address;
    }

    private static Admin Admin(BootstrapOptions options) => new()
    {
        AccessLog =
        {
            new AccessLog
            {
                Name = "envoy.access_loggers.file",
                TypedConfig = Any.Pack(new FileAccessLog { Path = options.AdminAccessLogPath }),
            },
        },
        Address = AdminAddress(options),
    };

    /// <summary>The admin socket; <c>::</c> also accepts IPv4, as App Mesh's ENVOY_ADMIN_ACCESS_ENABLE_IPV6 did.</summary>
    private static Address AdminAddress(BootstrapOptions options)
    {
        var address = SocketAddress(options.AdminAddress, options.AdminPort);
        if (IPAddress.Parse(options.AdminAddress).Equals(IPAddress.IPv6Any))
        {
            address.SocketAddress.Ipv4Compat = true;
        }

        return address;
    }

    private static BootstrapProto.Types.DynamicResources DynamicResources(BootstrapOptions options)
    {
        ConfigSource AdsSource() => new()
        {
            InitialFetchTimeout = ProtoDuration.FromTimeSpan(options.InitialFetchTimeout),
            ResourceApiVersion = ApiVersion.V3,
            Ads = new AggregatedConfigSource(),
        };

        return new BootstrapProto.Types.DynamicResources
        {
            AdsConfig = new ApiConfigSource
            {
                ApiType = options.Delta ? ApiConfigSource.Types.ApiType.DeltaGrpc : ApiConfigSource.Types.ApiType.Grpc,
                TransportApiVersion = ApiVersion.V3,
                // Mesh's xDS server takes the node from a stream's first request and keeps it for the stream, so
                // Envoy need not repeat it (with its metadata) in every later request.
                SetNodeOnFirstMessageOnly = true,
                GrpcServices = { options.SigV4 is { } sigV4 ? SignedGoogleGrpc(options, sigV4) : EnvoyGrpc() },
            },
            LdsConfig = AdsSource(),
            CdsConfig = AdsSource(),
        };
    }

    private static GrpcService EnvoyGrpc() => new()
    {
        EnvoyGrpc = new GrpcService.Types.EnvoyGrpc
        {
            ClusterName = XdsClusterName,
            // Reconnect quickly after an xDS server restart or failover, backing off to 30 s.
            RetryPolicy = new RetryPolicy
            {
                RetryBackOff = new BackoffStrategy
                {
                    BaseInterval = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(1)),
                    MaxInterval = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(30)),
                },
            },
        },
    };

    /// <summary>
    /// App Mesh's signed channel: google_grpc with TLS channel credentials and the aws_iam call-credentials plugin,
    /// with App Mesh's keepalive channel arguments. The AWS credentials come from the proxy's environment.
    /// </summary>
    private static GrpcService SignedGoogleGrpc(BootstrapOptions options, SigV4Options sigV4)
    {
        var tls = options.Tls!;
        var ssl = new GoogleGrpc.Types.SslCredentials { RootCerts = File(tls.CaFile) };
        if (tls.CertificateFile is { } cert)
        {
            ssl.PrivateKey = File(tls.PrivateKeyFile!);
            ssl.CertChain = File(cert);
        }

        static GoogleGrpc.Types.ChannelArgs.Types.Value Int(long value) => new() { IntValue = value };

        var channelArgs = new GoogleGrpc.Types.ChannelArgs
        {
            Args =
            {
                ["grpc.http2.max_pings_without_data"] = Int(0),
                ["grpc.keepalive_time_ms"] = Int((long)KeepaliveInterval.TotalMilliseconds),
                ["grpc.keepalive_timeout_ms"] = Int((long)KeepaliveTimeout.TotalMilliseconds),
            },
        };
        if (tls.ServerName is { } serverName)
        {
            channelArgs.Args["grpc.ssl_target_name_override"] = new GoogleGrpc.Types.ChannelArgs.Types.Value { StringValue = serverName };
        }

        return new GrpcService
        {
            GoogleGrpc = new GoogleGrpc
            {
                TargetUri = options.Xds.ToString(),
                StatPrefix = "ads",
                ChannelCredentials = new GoogleGrpc.Types.ChannelCredentials { SslCredentials = ssl },
                CallCredentials =
                {
                    new GoogleGrpc.Types.CallCredentials
                    {
                        FromPlugin = new GoogleGrpc.Types.CallCredentials.Types.MetadataCredentialsFromPlugin
                        {
                            Name = "envoy.grpc_credentials.aws_iam",
                            TypedConfig = Any.Pack(new AwsIamConfig { ServiceName = sigV4.SigningName, Region = sigV4.Region }),
                        },
                    },
                },
                CredentialsFactoryName = "envoy.grpc_credentials.aws_iam",
                ChannelArgs = channelArgs,
            },
        };
    }

    private static IEnumerable<Cluster> StaticClusters(BootstrapOptions options)
    {
        if (options.SigV4 is null)
        {
            yield return XdsCluster(options);
        }

        if (options.SdsSocketPath is { Length: > 0 } socket)
        {
            yield return new Cluster
            {
                Name = SdsClusterName,
                Type = Cluster.Types.DiscoveryType.Static,
                ConnectTimeout = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(1)),
                TypedExtensionProtocolOptions = { [Http2OptionsKey] = Http2Options(keepalive: false) },
                LoadAssignment = LoadAssignment(SdsClusterName, new Address { Pipe = new Pipe { Path = socket } }),
            };
        }

        if (options.Tracing is { } tracing)
        {
            var name = TracingClusterName(tracing.Provider);
            var cluster = new Cluster
            {
                Name = name,
                Type = IsIp(tracing.Collector.Host) ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
                ConnectTimeout = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(1)),
                DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Preferred,
                LoadAssignment = LoadAssignment(name, SocketAddress(tracing.Collector.Host, tracing.Collector.Port)),
            };
            if (tracing.Provider == TracingProvider.OpenTelemetry)
            {
                cluster.TypedExtensionProtocolOptions[Http2OptionsKey] = Http2Options(keepalive: false); // OTLP/gRPC
            }

            yield return cluster;
        }
    }

    private static Cluster XdsCluster(BootstrapOptions options)
    {
        var cluster = new Cluster
        {
            Name = XdsClusterName,
            // A name (e.g. a Kubernetes Service or a compose service) is resolved; an IP is used as is.
            Type = IsIp(options.Xds.Host) ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
            ConnectTimeout = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Preferred,
            TypedExtensionProtocolOptions = { [Http2OptionsKey] = Http2Options(keepalive: true) },
            UpstreamConnectionOptions = new UpstreamConnectionOptions
            {
                TcpKeepalive = new TcpKeepalive { KeepaliveTime = 60, KeepaliveInterval = 10, KeepaliveProbes = 3 },
            },
            LoadAssignment = LoadAssignment(XdsClusterName, SocketAddress(options.Xds.Host, options.Xds.Port)),
        };

        if (options.Tls is { } tls)
        {
            var serverName = tls.ServerName ?? options.Xds.Host;
            var common = new CommonTlsContext
            {
                AlpnProtocols = { "h2" },
                ValidationContext = new CertificateValidationContext
                {
                    TrustedCa = File(tls.CaFile),
                    MatchTypedSubjectAltNames =
                    {
                        new SubjectAltNameMatcher
                        {
                            SanType = IsIp(serverName) ? SubjectAltNameMatcher.Types.SanType.IpAddress : SubjectAltNameMatcher.Types.SanType.Dns,
                            Matcher = new StringMatcher { Exact = serverName },
                        },
                    },
                },
            };
            if (tls.CertificateFile is { } cert)
            {
                common.TlsCertificates.Add(new TlsCertificate { CertificateChain = File(cert), PrivateKey = File(tls.PrivateKeyFile!) });
            }

            var context = new UpstreamTlsContext { CommonTlsContext = common };
            if (!IsIp(serverName))
            {
                context.Sni = serverName;
            }

            cluster.TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(context) };
        }

        return cluster;
    }

    /// <summary>HTTP/2 to the upstream (gRPC), with App Mesh's keepalive on the xDS channel.</summary>
    private static Any Http2Options(bool keepalive)
    {
        var http2 = new Http2ProtocolOptions();
        if (keepalive)
        {
            http2.ConnectionKeepalive = new KeepaliveSettings
            {
                Interval = ProtoDuration.FromTimeSpan(KeepaliveInterval),
                Timeout = ProtoDuration.FromTimeSpan(KeepaliveTimeout),
            };
        }

        return Any.Pack(new UpstreamHttpOptions
        {
            ExplicitHttpConfig = new UpstreamHttpOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = http2 },
        });
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
    private static Tracing.Types.Http Tracer(TracingOptions tracing, NodeId resource)
    {
        var cluster = TracingClusterName(tracing.Provider);
        var serviceName = tracing.ServiceName ?? $"{resource.Mesh}/{resource.Name}";
        return tracing.Provider switch
        {
            TracingProvider.OpenTelemetry => new Tracing.Types.Http
            {
                Name = "envoy.tracers.opentelemetry",
                TypedConfig = Any.Pack(new OpenTelemetryConfig
                {
                    GrpcService = new GrpcService
                    {
                        EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = cluster },
                        Timeout = ProtoDuration.FromTimeSpan(TimeSpan.FromSeconds(1)),
                    },
                    ServiceName = serviceName,
                }),
            },
            _ => new Tracing.Types.Http
            {
                Name = "envoy.tracers.zipkin",
                TypedConfig = Any.Pack(new ZipkinConfig
                {
                    CollectorCluster = cluster,
                    CollectorEndpoint = "/api/v2/spans",
                    CollectorEndpointVersion = ZipkinConfig.Types.CollectorEndpointVersion.HttpJson,
                    SharedSpanContext = false,
                }),
            },
        };
    }

    private static ClusterLoadAssignment LoadAssignment(string clusterName, Address address) => new()
    {
        ClusterName = clusterName,
        Endpoints =
        {
            new LocalityLbEndpoints
            {
                LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = address } } },
            },
        },
    };

    private static Address SocketAddress(string host, int port) => new()
    {
        SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = host, PortValue = (uint)port },
    };

    private static DataSource File(string path) => new() { Filename = path };

    private static bool IsIp(string host) => IPAddress.TryParse(host, out _);
}
