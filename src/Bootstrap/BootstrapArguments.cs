using Mesh.Model.Identity;
using System.Globalization;
using Mesh.Model.Wire;

namespace Mesh.Bootstrap;

/// <summary>
/// The named settings the <c>bootstrap</c> command (<c>--name value</c>) and <c>GET /envoy/bootstrap</c> (<c>?name=value</c>)
/// share, turned into <see cref="BootstrapOptions"/>. Every problem is an <see cref="ArgumentException"/> saying which.
/// </summary>
public static class BootstrapArguments
{
    public const string Usage = """
        Mesh.Api bootstrap --node <arn | mesh/<mesh>/virtualNode/<name> | mesh/<mesh>/virtualGateway/<name>>
            [--cluster <name>]                node.cluster (default: the node)
            [--xds <host:port>]               the xDS server's gRPC port (default: Mesh:Bootstrap:Xds, else 127.0.0.1:18000)
            [--delta]                         incremental (DELTA_GRPC) instead of state-of-the-world ADS
            [--admin-port 9901] [--admin-address 0.0.0.0] [--admin-access-log /dev/null]
            [--outlier-event-log <path>]      where outlier-ejection events go (default /dev/stdout; empty: nowhere).
                                              Under systemd stdout is a socket Envoy cannot open: give a file
            [--initial-fetch-timeout <seconds>]   0 (default) waits for the first configuration forever
            [--xds-tls --ca <pem file> [--server-name <name>] [--cert <pem file> --key <pem file>]]
            [--sigv4 [--region <region>] [--signing-name appmesh]]   needs --xds-tls; AWS keys come from the proxy's environment
            [--tracing zipkin|jaeger|otel --tracing-address <host:port> [--service-name <name>]]
            [--sds-socket <path>]             a local SDS server's Unix socket (static_cluster_sds_unix_socket)
            [--dogstatsd <ip:port | unix:<path>>]   send stats to a DogStatsD agent (App Mesh's ENABLE_ENVOY_DOG_STATSD;
                                              its default 127.0.0.1:8125 when given empty)
            [--stats-flush-interval <ms>]     how often stats are flushed to sinks (ENVOY_STATS_FLUSH_INTERVAL; Envoy's 5000)
            [--stats-tags appmesh|extended|none]   appmesh (default): exactly the tags App Mesh's agent set;
                                              extended: also on egress and cluster stats; none: no tags
            [--no-stats-tags]                 the same as --stats-tags none
            [--register-instance <ip>[:<port>] [--instance-id <id>]]   register this sidecar in its virtual node's
                                              Cloud Map service while its xDS stream is connected
            [--format yaml|json]
            [--grpc]                          a gRPC xDS bootstrap (JSON) for a proxyless application's GRPC_XDS_BOOTSTRAP
                                              instead; only --node, --cluster and --xds apply. This command reads
                                              no database: GET /envoy/bootstrap?grpc&node=… adds the certificate
                                              providers a virtual node's TLS files need
        Prints a complete Envoy v3 bootstrap. File paths are as the proxy sees them.
        """;

    private static readonly HashSet<string> FlagNames = new(StringComparer.Ordinal) { "delta", "xds-tls", "sigv4", "no-stats-tags", "grpc" };

    private static readonly HashSet<string> ValueNames = new(StringComparer.Ordinal)
    {
        "node", "cluster", "xds", "admin-port", "admin-address", "admin-access-log", "initial-fetch-timeout", "ca", "server-name",
        "cert", "key", "region", "signing-name", "tracing", "tracing-address", "service-name", "sds-socket", "format", "stats-tags",
        "register-instance", "instance-id", "dogstatsd", "stats-flush-interval",
        "outlier-event-log",
    };

    public static bool IsFlag(string name) => FlagNames.Contains(name);

    /// <summary>Every setting's name (without <c>--</c>), flags included, in a stable order: the query parameters of <c>GET /envoy/bootstrap</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ValueNames.Order(StringComparer.Ordinal), .. FlagNames.Order(StringComparer.Ordinal)];

    /// <summary>Reads <c>--name value</c> and <c>--flag</c> command-line arguments.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> FromCommandLine(IReadOnlyList<string> args)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            var name = args[i][2..];
            if (IsFlag(name))
            {
                pairs.Add(new(name, "true"));
            }
            else if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"--{name} needs a value.");
            }
            else
            {
                pairs.Add(new(name, args[++i]));
            }
        }

        return pairs;
    }

    /// <summary>
    /// The bootstrap <paramref name="values"/> ask for, as text with its media type: Envoy's, as YAML or JSON, or with
    /// <c>grpc</c> a gRPC application's (<see cref="GrpcBootstrap"/>, JSON), which takes only the node, cluster and xDS
    /// address: any other setting is refused rather than ignored.
    /// </summary>
    public static (string Text, string MediaType) Render(IReadOnlyList<KeyValuePair<string, string?>> values, HostPort defaultXds, string defaultRegion, IReadOnlyList<Mesh.Model.Identity.GrpcCertificateProvider>? certificateProviders = null)
    {
        var format = Format(values);
        if (!Flag(values, "grpc"))
        {
            var options = Parse(values, defaultXds, defaultRegion);
            return format == "json" ? (EnvoyBootstrap.ToJson(options), "application/json") : (EnvoyBootstrap.ToYaml(options), "application/yaml");
        }

        if (values.FirstOrDefault(v => Names.Contains(v.Key) && !GrpcBootstrap.Settings.Contains(v.Key)) is { Key: { } unused })
        {
            throw new ArgumentException($"'{unused}' does not apply to a gRPC bootstrap: only node, cluster and xds do.");
        }

        return Last(values, "format") is { Length: > 0 } && format != "json"
            ? throw new ArgumentException("A gRPC bootstrap is JSON: leave format out, or set it to json.")
            : (GrpcBootstrap.ToJson(Parse(values, defaultXds, defaultRegion), certificateProviders), "application/json");
    }

    /// <summary>
    /// The virtual node a gRPC bootstrap is asked for, whose spec decides its certificate providers; null when
    /// <paramref name="values"/> ask for another bootstrap, a gateway's, or a node id that is not valid (which
    /// <see cref="Render"/> then reports).
    /// </summary>
    public static Mesh.Model.Identity.NodeId? GrpcVirtualNode(IReadOnlyList<KeyValuePair<string, string?>> values) =>
        Flag(values, "grpc") && Mesh.Model.Identity.NodeId.TryParse(Last(values, "node"), out var node, out _)
        && node.Kind == Mesh.Model.Identity.ProxyKind.VirtualNode
            ? node
            : null;

    /// <summary>The output format asked for: <c>yaml</c> (default) or <c>json</c>.</summary>
    public static string Format(IReadOnlyList<KeyValuePair<string, string?>> values) =>
        Last(values, "format")?.ToLowerInvariant() switch
        {
            null or "" or "yaml" => "yaml",
            "json" => "json",
            var other => throw new ArgumentException($"format '{other}' is neither yaml nor json."),
        };

    public static BootstrapOptions Parse(IReadOnlyList<KeyValuePair<string, string?>> values, HostPort defaultXds, string defaultRegion)
    {
        foreach (var (name, _) in values)
        {
            if (!FlagNames.Contains(name) && !ValueNames.Contains(name))
            {
                throw new ArgumentException($"Unknown setting '{name}'.");
            }
        }

        var node = Last(values, "node");
        if (!NodeId.TryParse(node, out var nodeId, out var error, subject: "node"))
        {
            throw new ArgumentException(error);
        }

        // The xDS server refuses an ARN of another region than the one it serves (Mesh:Region); a bootstrap naming
        // one would make a proxy that is never served.
        if (nodeId!.ArnRegion is { } arnRegion && !string.Equals(arnRegion, defaultRegion, StringComparison.Ordinal))
        {
            throw new ArgumentException($"node: the ARN is in region '{arnRegion}', but this Mesh serves region '{defaultRegion}' (Mesh:Region); name the node in '{defaultRegion}' or set Mesh:Region");
        }

        var options = new BootstrapOptions
        {
            NodeId = node!,
            Cluster = Last(values, "cluster"),
            Xds = Last(values, "xds") is { } xds ? HostPort.Parse(xds, "xds") : defaultXds,
            Delta = Flag(values, "delta"),
            StatsTags = Flag(values, "no-stats-tags") ? StatsTagsStyle.None : StatsTagsStyleOf(Last(values, "stats-tags")),
            SdsSocketPath = Last(values, "sds-socket"),
        };

        if (Last(values, "admin-port") is { } adminPort)
        {
            options = options with { AdminPort = Port(adminPort, "admin-port") };
        }

        if (Last(values, "admin-address") is { } adminAddress)
        {
            options = options with { AdminAddress = adminAddress };
        }

        if (Last(values, "admin-access-log") is { Length: > 0 } adminLog)
        {
            options = options with { AdminAccessLogPath = adminLog };
        }

        // Given empty, no event log at all: Envoy opens the path as a file at start and refuses to start if it cannot.
        if (Last(values, "outlier-event-log") is { } outlierLog)
        {
            options = options with { OutlierEventLogPath = outlierLog.Length > 0 ? outlierLog : null };
        }

        if (Last(values, "initial-fetch-timeout") is { } timeout)
        {
            if (!DecimalText.TryParseInt(timeout, out var seconds))
            {
                throw new ArgumentException($"initial-fetch-timeout takes whole seconds, not '{timeout}'.");
            }

            options = options with { InitialFetchTimeout = TimeSpan.FromSeconds(seconds) };
        }

        var ca = Last(values, "ca");
        if (Flag(values, "xds-tls"))
        {
            options = options with
            {
                Tls = new XdsTlsOptions
                {
                    CaFile = ca ?? throw new ArgumentException("xds-tls needs ca: the PEM file of the CA that signed the xDS server's certificate."),
                    ServerName = Last(values, "server-name"),
                    CertificateFile = Last(values, "cert"),
                    PrivateKeyFile = Last(values, "key"),
                },
            };
        }
        else if (ca is not null || Last(values, "cert") is not null || Last(values, "key") is not null || Last(values, "server-name") is not null)
        {
            throw new ArgumentException("ca, server-name, cert and key only apply with xds-tls.");
        }

        if (Flag(values, "sigv4"))
        {
            options = options with
            {
                SigV4 = new SigV4Options
                {
                    Region = Last(values, "region") ?? defaultRegion,
                    SigningName = Last(values, "signing-name") ?? "appmesh",
                },
            };
        }
        else if (Last(values, "region") is not null || Last(values, "signing-name") is not null)
        {
            throw new ArgumentException("region and signing-name only apply with sigv4.");
        }

        var tracing = Last(values, "tracing");
        var tracingAddress = Last(values, "tracing-address");
        if (tracing is not null)
        {
            var provider = tracing.ToLowerInvariant() switch
            {
                "zipkin" => TracingProvider.Zipkin,
                "jaeger" => TracingProvider.Jaeger,
                "otel" or "opentelemetry" => TracingProvider.OpenTelemetry,
                _ => throw new ArgumentException($"tracing '{tracing}' is not one of zipkin, jaeger, otel."),
            };
            options = options with
            {
                Tracing = new TracingOptions
                {
                    Provider = provider,
                    Collector = HostPort.Parse(
                        tracingAddress ?? throw new ArgumentException("tracing needs tracing-address (host:port of the collector)."), "tracing-address"),
                    ServiceName = Last(values, "service-name"),
                },
            };
        }
        else if (tracingAddress is not null || Last(values, "service-name") is not null)
        {
            throw new ArgumentException("tracing-address and service-name only apply with tracing.");
        }

        if (Last(values, "dogstatsd") is { } dogStatsd)
        {
            options = options with { DogStatsd = DogStatsdTarget.Parse(dogStatsd) };
        }

        if (Last(values, "stats-flush-interval") is { } flush)
        {
            var digits = flush.EndsWith("ms", StringComparison.Ordinal) ? flush[..^2] : flush;
            if (!DecimalText.TryParseInt(digits, out var milliseconds) || milliseconds is < 1 or >= 300_000)
            {
                // Envoy takes from 1 ms to under 300 s (its stats_flush_interval rule).
                throw new ArgumentException($"stats-flush-interval takes milliseconds from 1 to 299999, not '{flush}'.");
            }

            options = options with { StatsFlushInterval = TimeSpan.FromMilliseconds(milliseconds) };
        }

        var instanceId = Last(values, "instance-id");
        if (Last(values, "register-instance") is { } register)
        {
            if (instanceId is { Length: 0 or > 64 })
            {
                throw new ArgumentException("instance-id takes 1 to 64 characters.");
            }

            options = options with { RegisterInstance = InstanceRegistration.Parse(register, instanceId) };
        }
        else if (instanceId is not null)
        {
            throw new ArgumentException("instance-id only applies with register-instance.");
        }

        return options;
    }

    private static string? Last(IReadOnlyList<KeyValuePair<string, string?>> values, string name) =>
        values.LastOrDefault(v => v.Key == name).Value;

    private static bool Flag(IReadOnlyList<KeyValuePair<string, string?>> values, string name) =>
        Last(values, name)?.ToLowerInvariant() switch
        {
            null => values.Any(v => v.Key == name),
            "" or "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            var other => throw new ArgumentException($"{name} is a switch (true or false), not '{other}'."),
        };

    private static int Port(string value, string what) =>
        DecimalText.TryParseInt(value, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new ArgumentException($"{what} '{value}' is not a port from 1 to 65535.");

    private static StatsTagsStyle StatsTagsStyleOf(string? value) => value?.ToLowerInvariant() switch
    {
        null or "appmesh" => StatsTagsStyle.AppMesh,
        "extended" => StatsTagsStyle.Extended,
        "none" => StatsTagsStyle.None,
        _ => throw new ArgumentException($"stats-tags is appmesh, extended or none, not '{value}'."),
    };
}
