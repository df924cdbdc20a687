using OpenTelemetry.Metrics;

namespace Mesh.Observability;

/// <summary>
/// What every host exports at <c>GET /metrics</c> besides its own instruments: .NET runtime and process metrics under
/// the same names on both hosts (one dashboard query covers both), through the OpenTelemetry Prometheus exporter.
/// </summary>
public static class PlatformMetrics
{
    public static MeterProviderBuilder AddPlatformMetrics(this MeterProviderBuilder metrics) => metrics
        .AddRuntimeInstrumentation()
        .AddProcessInstrumentation()
        .AddView(PrometheusNames.View)
        .AddPrometheusExporter();
}
