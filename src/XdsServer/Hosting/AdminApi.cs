using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsServer.Hosting;

/// <summary>The admin endpoints: liveness and readiness in one document, and Prometheus metrics.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", Health);
        endpoints.MapGet("/metrics", Metrics);
        return endpoints;
    }

    /// <summary>
    /// 200 while the server can serve: before the first load from the database it cannot (503). A database
    /// outage after that is reported but stays 200, because the last snapshots keep serving.
    /// </summary>
    public static Results<Ok<HealthReport>, JsonHttpResult<HealthReport>> Health(FeedStatus feed, StreamRegistry streams, SnapshotCache cache)
    {
        var report = new HealthReport(
            feed.State is FeedState.Disabled || feed.Loaded ? "ok" : "starting",
            feed.State.ToString().ToLowerInvariant(),
            feed.Watermark,
            streams.Count,
            cache.WatchedIdentities,
            cache.Meshes.Count);
        return report.Status == "ok"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public static ContentHttpResult Metrics(XdsMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}
