using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// The admin endpoints: liveness (<c>/healthz</c>) and readiness (<c>/readyz</c>) as ASP.NET Core health checks, and
/// Prometheus metrics. Both health endpoints write the same <see cref="HealthReport"/>; only their status codes differ.
/// </summary>
public static class AdminApi
{
    /// <summary>The tag of the checks <c>/readyz</c> runs (<see cref="FeedLoadedCheck"/>).</summary>
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        // Liveness runs no check: 200 while the process answers, since restarting a server that is still loading would not help.
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteReportAsync });

        // Readiness: 503 until the first load from the database (FeedLoadedCheck).
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteReportAsync });
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }

    /// <summary>The server's state for a person or a probe's log: what it serves and how far the feed has got.</summary>
    private static Task WriteReportAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport _)
    {
        var services = context.RequestServices;
        var feed = services.GetRequiredService<FeedStatus>();
        var cache = services.GetRequiredService<SnapshotCache>();
        var report = new HealthReport(
            feed.Ready ? "ok" : "starting",
            feed.State.ToString().ToLowerInvariant(),
            feed.Watermark,
            services.GetRequiredService<StreamRegistry>().Count,
            cache.WatchedIdentities,
            services.GetRequiredService<SnapshotProducer>().Meshes.Count);
        return context.Response.WriteAsJsonAsync(report);
    }
}
