using Mesh.Api.Resources;
using Mesh.Observability;
using Mesh.Security;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mesh.Api.Observability;

/// <summary>
/// Metrics (Prometheus text at /metrics), traces (OTLP, when OTEL_EXPORTER_OTLP_ENDPOINT is set) and
/// health: /healthz answers while the process runs (liveness), /readyz only while PostgreSQL answers too.
/// </summary>
public static class ObservabilityHosting
{
    public static WebApplicationBuilder AddMeshObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiMetrics>();
        var httpServerMetrics = HttpServerMetrics(builder.Configuration);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mesh-api"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ApiMetrics.MeterName).ExportOnlyThisHostsMeters();
                if (httpServerMetrics)
                {
                    // ASP.NET Core's meters, and (before .NET 11) a middleware that tags 5xx answers for them.
                    metrics.AddAspNetCoreInstrumentation();
                }

                metrics.AddNpgsqlInstrumentation().AddPlatformMetrics();
            });
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(ApiMetrics.ActivitySourceName)
                .AddAspNetCoreInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter());
        }

        // Registered after OpenTelemetry's own hosted service, so its listener is there when the series are seeded.
        builder.Services.AddHostedService<ApiMetricsSeeder>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// <c>Mesh:HttpServerMetrics</c> (<see cref="MeshApiOptions.HttpServerMetrics"/>), read here because the metrics
    /// pipeline is built before the options are.
    /// </summary>
    internal static bool HttpServerMetrics(IConfiguration configuration)
    {
        var key = $"{MeshApiOptions.Section}:{nameof(MeshApiOptions.HttpServerMetrics)}";
        return configuration[key] switch
        {
            null or "" => true,
            var text when bool.TryParse(text, out var on) => on,
            var text => throw new ApiConfigurationException($"{key} must be true or false, not '{text}'."),
        };
    }

    public static WebApplication MapMeshObservability(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteReadinessAsync });
        return app;
    }

    /// <summary>"Healthy", or "Unhealthy: " and why: a probe's log then says what to fix, not just that something is wrong.</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var problems = report.Entries.Values.Select(e => e.Description).OfType<string>().Where(d => d.Length > 0).ToList();
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(problems.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join(" ", problems)}\n");
    }

    /// <summary>
    /// Ready while the database answers, is migrated and opens with the master key; otherwise says why. The check is
    /// raced against the probe's deadline (<see cref="ReadRace"/>): on a frozen server it would otherwise wait for the
    /// thaw, and a probe that never answers tells an orchestrator less than one that answers unready.
    /// </summary>
    private sealed class DatabaseHealthCheck(DatabaseSetup setup, ReadRace reads) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            SetupState state;
            try
            {
                state = await reads.RunAsync(setup.CheckAsync, AbandonedRead.Readiness, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                state = SetupState.Unreachable("PostgreSQL did not answer in time.");
            }

            return state.Status == SetupStatus.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(state.Message);
        }
    }
}
