using System.Diagnostics.Metrics;
using Mesh.Observability;
using Mesh.XdsServer.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
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
    public static WebApplicationBuilder AddXdsTelemetry(this WebApplicationBuilder builder)
    {
        // This server's meter. Several servers can share a process (tests do); each exports only its own instruments.
        var scope = new object();

        // The meter provider is built first, so that it listens from the start (Kestrel's pool is summed from its first block).
        var memoryPool = builder.Configuration.GetValue(KestrelMemoryPoolSetting, true);
        builder.Services.AddSingleton(services =>
        {
            // Summing Kestrel's pool from before its first connection: the pooled figure is a sum of deltas.
            services.GetService<KestrelPoolTotals>();
            services.GetService<MeterProvider>();
            return new XdsMetrics(scope);
        });
        if (memoryPool)
        {
            builder.Services.AddSingleton(services => new KestrelPoolTotals(services.GetRequiredService<IMeterFactory>(), scope));
        }

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mesh-xds"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(XdsMetrics.MeterName);

                // Kestrel's memory pool: what it keeps pooled (idle 4 KB blocks, released a few percent every 10 s
                // once idle) is a large and changing part of an xDS server's memory after a burst of connections.
                // Listening costs a measurement on every rent and return of a block (a 49 KB request of a proxy that
                // sends its node each time takes a dozen): 2–3% of the server's CPU at connect (docs/benchmarks.md,
                // issue13x). Xds:Metrics:KestrelMemoryPool=false turns it off.
                if (memoryPool)
                {
                    metrics.AddMeter(KestrelMemoryPoolMeter);
                }

                // Kestrel's connections: kestrel_active_connections, kestrel_queued_connections and
                // kestrel_connection_duration_seconds, whose error_type says why Kestrel ended a connection. The one an
                // xDS server must not hide is keep_alive_timeout: a proxy that did not answer the HTTP/2 PING within
                // Kestrel:Limits:Http2:KeepAlivePingTimeout (a vanished peer, or a paused or starved one, which then
                // reconnects and resyncs; docs/benchmarks.md, issue13as). Measured once per connection, not per request.
                metrics.AddMeter(KestrelMeter).ExportOnlyThisHostsMeters();

                metrics
                    .AddView(instrument => IsAnotherServers(instrument, scope) || IsSummedElsewhere(instrument, scope) ? MetricStreamConfiguration.Drop : null)
                    .AddPlatformMetrics();
            });
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

    /// <summary>Whether <c>/metrics</c> carries Kestrel's memory pool (<c>aspnetcore_memory_pool_*</c>); on unless set to false.</summary>
    public const string KestrelMemoryPoolSetting = "Xds:Metrics:KestrelMemoryPool";

    private const string KestrelMemoryPoolMeter = "Microsoft.AspNetCore.MemoryPool";

    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";

    private static bool IsAnotherServers(Instrument instrument, object scope) =>
        instrument.Meter.Name == XdsMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, scope);

    /// <summary>
    /// Kestrel's per-block pool instruments, which <see cref="KestrelPoolTotals"/> sums and exports under the same
    /// names (on a meter marked with this server's scope), and another server's export of them.
    /// </summary>
    private static bool IsSummedElsewhere(Instrument instrument, object scope) =>
        instrument.Meter.Name == KestrelPoolTotals.MeterName && instrument.Name is KestrelPoolTotals.PooledName or KestrelPoolTotals.RentedName
        && !ReferenceEquals(instrument.Meter.Scope, scope);

    /// <summary>An xDS stream lives as long as its proxy; as a span it would be hours long and say nothing.</summary>
    private static bool IsNotXdsStream(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true;
}
