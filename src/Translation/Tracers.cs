using Envoy.Config.Core.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Observability;

namespace Mesh.Translation;

/// <summary>
/// The <c>tracing</c> block of an Envoy proxy's HTTP connection managers. Without tracing tags on the mesh it is
/// App Mesh's empty <c>tracing: {}</c> (docs/envoy-mapping.md §2): requests are traced by the tracer in the proxy's
/// bootstrap, if it has one. With them, the mesh's tracer is named here, so it replaces the bootstrap's, and its
/// collector becomes the cluster <see cref="EnvoyNames.TracingCollectorCluster"/>. Each provider is set up the way
/// App Mesh's image set it up from its environment variables, so spans keep the names App Mesh-era trace views
/// are keyed on.
/// </summary>
internal static class Tracers
{
    /// <summary>Where Zipkin v2 collectors (and Jaeger's Zipkin-compatible one) take spans.</summary>
    public const string ZipkinSpansPath = "/api/v2/spans";

    public static HttpConnectionManager.Types.Tracing For(TranslationContext context, string proxyName)
    {
        foreach (var problem in context.Graph.Observability.Problems)
        {
            context.Warn(WarningKind.SettingIgnored, $"mesh/{context.Mesh}: {problem}; the mesh's tracing tags are ignored");
        }

        if (context.Graph.Observability.Tracing is not { } tracing)
        {
            return new HttpConnectionManager.Types.Tracing();
        }

        var result = new HttpConnectionManager.Types.Tracing { Provider = Provider(context, tracing, proxyName) };
        if (tracing.Provider != TracingProvider.XRay)
        {
            // Envoy's X-Ray tracer ignores this decision and samples by its own rules (set in Provider), so the
            // percentage goes there instead of being applied twice.
            result.RandomSampling = new Percent { Value = tracing.SamplingPercent ?? 100 };
        }

        return result;
    }

    private static Tracing.Types.Http Provider(TranslationContext context, MeshTracing tracing, string proxyName)
    {
        var collector = tracing.Collector;
        // App Mesh's name for a proxy in traces (its X-Ray segment name).
        var serviceName = $"{context.Mesh}/{proxyName}";
        return tracing.Provider switch
        {
            TracingProvider.Zipkin or TracingProvider.Jaeger => Http("envoy.tracers.zipkin", new ZipkinConfig
            {
                CollectorCluster = Clusters.TracingCollector(context, collector, http2: false),
                CollectorEndpoint = ZipkinSpansPath,
                CollectorEndpointVersion = ZipkinConfig.Types.CollectorEndpointVersion.HttpJson,
                // The Host a collector behind a name-based proxy expects; Envoy would otherwise send the cluster name.
                CollectorHostname = collector.ToString(),
                // Each hop gets its own span, as App Mesh's Jaeger setting had it.
                SharedSpanContext = false,
            }),
            TracingProvider.OpenTelemetry => Http("envoy.tracers.opentelemetry", new OpenTelemetryConfig
            {
                GrpcService = new GrpcService
                {
                    EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = Clusters.TracingCollector(context, collector, http2: true) },
                    Timeout = Protos.Duration(TimeSpan.FromSeconds(1)),
                },
                ServiceName = serviceName,
            }),
            TracingProvider.Datadog => Http("envoy.tracers.datadog", new DatadogConfig
            {
                CollectorCluster = Clusters.TracingCollector(context, collector, http2: false),
                CollectorHostname = collector.ToString(),
                // App Mesh's image named the service "envoy-<mesh>/<name>".
                ServiceName = "envoy-" + serviceName,
            }),
            TracingProvider.XRay => Http("envoy.tracers.xray", XRay(context.Mesh, proxyName, tracing)),
            _ => throw new ArgumentOutOfRangeException(nameof(tracing), tracing.Provider, null),
        };
    }

    /// <summary>
    /// App Mesh's X-Ray setup: segments named <c>&lt;mesh&gt;/&lt;name&gt;</c> with origin <c>AWS::AppMesh::Proxy</c> and the
    /// mesh and resource under <c>aws.app_mesh</c> (App Mesh wrote <c>virtual_node_name</c> for gateways too), sent
    /// over UDP to the daemon, which needs no cluster. A sampling percentage becomes the default rule of a local
    /// sampling manifest (one request a second, then the rate), as App Mesh's XRAY_SAMPLING_RATE did.
    /// </summary>
    private static XRayConfig XRay(string mesh, string proxyName, MeshTracing tracing)
    {
        var config = new XRayConfig
        {
            DaemonEndpoint = new SocketAddress
            {
                Protocol = SocketAddress.Types.Protocol.Udp,
                Address = tracing.Collector.Host,
                PortValue = (uint)tracing.Collector.Port,
            },
            SegmentName = $"{mesh}/{proxyName}",
            SegmentFields = new XRayConfig.Types.SegmentFields
            {
                Origin = "AWS::AppMesh::Proxy",
                Aws = new Struct
                {
                    Fields =
                    {
                        ["app_mesh"] = Value.ForStruct(new Struct
                        {
                            Fields = { ["mesh_name"] = Value.ForString(mesh), ["virtual_node_name"] = Value.ForString(proxyName) },
                        }),
                    },
                },
            },
        };
        if (tracing.SamplingPercent is { } percent)
        {
            var rate = (percent / 100).ToString("0.########", System.Globalization.CultureInfo.InvariantCulture);
            config.SamplingRuleManifest = new DataSource
            {
                InlineString = $$"""{"version":2,"default":{"fixed_target":1,"rate":{{rate}}},"rules":[]}""",
            };
        }

        return config;
    }

    private static Tracing.Types.Http Http(string name, Google.Protobuf.IMessage config) =>
        new() { Name = name, TypedConfig = Protos.Pack(config) };
}
