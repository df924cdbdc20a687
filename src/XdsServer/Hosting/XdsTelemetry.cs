using System.Diagnostics.Metrics;
using Mesh.Observability;
using Mesh.XdsServer.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Metrics through OpenTelemetry: the server's own instruments (<see cref="XdsMetrics"/>) and the platform's process and
/// runtime metrics, exported as Prometheus text at the admin port's <c>GET /metrics</c>, as on the API. Traces are
/// exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the SDK also reads <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_BSP_*</c> and the rest of its standard variables). JSON logs come from <c>Logging:Console:FormatterName=json</c>.
/// </summary>
public static class XdsTelemetry
{
    /// <summary>
    /// ASP.NET Core's request log category. While it is enabled at any level, hosting gives every request an
    /// <c>Activity</c> and a log scope, and an xDS stream keeps both for as long as its proxy is connected: about
    /// 0.56 KB per idle proxy in heap dumps (the activity with its tags and ids, hosting's scope and its two entries
    /// in the logger's scope chain, the execution context carrying them; docs/benchmarks.md, issue13m). The
    /// category's only lines above Information are start-up errors, which this host does not capture (they end the
    /// start with their exception); Kestrel logs an application's unhandled exceptions under its own category. So
    /// the xDS host turns the category off beneath every other source:
    /// <c>Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information</c> brings the request lines back.
    /// Tracing does not depend on it: with an OTLP endpoint the instrumentation listens to hosting's ActivitySource,
    /// which makes hosting create the activity again.
    /// </summary>
    internal const string HostingRequestLogs = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static WebApplicationBuilder AddXdsTelemetry(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { [$"Logging:LogLevel:{HostingRequestLogs}"] = "None" },
        });

        // This server's meter. Several servers can share a process (tests do); each exports only its own instruments.
        var scope = new object();

        // The meter provider is built first, so that it listens when XdsMetrics seeds its counters at zero.
        builder.Services.AddSingleton(services =>
        {
            services.GetService<MeterProvider>();
            return new XdsMetrics(scope);
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mesh-xds"))
            .WithMetrics(metrics => metrics
                .AddMeter(XdsMetrics.MeterName)
                .AddView(instrument => IsAnotherServers(instrument, scope) ? MetricStreamConfiguration.Drop : null)
                .AddPlatformMetrics());
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(XdsTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = IsNotXdsStream)
                .AddNpgsql()
                .AddOtlpExporter());
        }

        return builder;
    }

    private static bool IsAnotherServers(Instrument instrument, object scope) =>
        instrument.Meter.Name == XdsMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, scope);

    /// <summary>An xDS stream lives as long as its proxy; as a span it would be hours long and say nothing.</summary>
    private static bool IsNotXdsStream(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true;
}
