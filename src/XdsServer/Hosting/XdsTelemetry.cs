using Mesh.XdsServer.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Traces exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the OpenTelemetry SDK also reads
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_BSP_*</c> and the rest of its standard variables). Metrics stay
/// on the admin port's Prometheus text (<see cref="XdsMetrics"/>); JSON logs come from
/// <c>Logging:Console:FormatterName=json</c>, as on the API.
/// </summary>
public static class XdsTelemetry
{
    public static WebApplicationBuilder AddXdsTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mesh-xds"))
            .WithTracing(tracing => tracing
                .AddSource(XdsTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = IsNotXdsStream)
                .AddNpgsql()
                .AddOtlpExporter());
        return builder;
    }

    /// <summary>An xDS stream lives as long as its proxy; as a span it would be hours long and say nothing.</summary>
    private static bool IsNotXdsStream(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true;
}
