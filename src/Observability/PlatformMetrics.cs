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
        .AddProcessMetrics()
        .AddView(PrometheusNames.View)
        .AddPrometheusExporter();

    /// <summary>
    /// The process metrics: on Linux <see cref="ProcessMetrics"/>, whose collection costs microseconds however many
    /// threads and sockets the process has; elsewhere OpenTelemetry's process instrumentation, which exports the same.
    /// </summary>
    public static MeterProviderBuilder AddProcessMetrics(this MeterProviderBuilder metrics)
    {
        if (!OperatingSystem.IsLinux())
        {
            return metrics.AddProcessInstrumentation();
        }

        ProcessMetrics.EnsureCreated();
        return metrics.AddMeter(ProcessMetrics.MeterName);
    }
}
