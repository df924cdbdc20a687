using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// The admin endpoints: liveness (<c>/healthz</c>), readiness (<c>/readyz</c>) and Prometheus metrics. Both health
/// endpoints return the same report; only their status codes differ.
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", Liveness);
        endpoints.MapGet("/readyz", Readiness);
        endpoints.MapGet("/metrics", Metrics);
        return endpoints;
    }

    /// <summary>200 while the process answers: restarting it would not help a server that is still loading.</summary>
    public static Ok<HealthReport> Liveness(FeedStatus feed, StreamRegistry streams, SnapshotCache cache, SnapshotProducer producer) =>
        TypedResults.Ok(Report(feed, streams, cache, producer));

    /// <summary>
    /// 200 once the server can serve: before the first load from the database it cannot (503), and a load balancer
    /// should send proxies elsewhere. A database outage after that is reported but stays 200, because the last
    /// snapshots keep serving.
    /// </summary>
    public static Results<Ok<HealthReport>, JsonHttpResult<HealthReport>> Readiness(FeedStatus feed, StreamRegistry streams, SnapshotCache cache, SnapshotProducer producer)
    {
        var report = Report(feed, streams, cache, producer);
        return report.Status == "ok"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public static ContentHttpResult Metrics(XdsMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");

    private static HealthReport Report(FeedStatus feed, StreamRegistry streams, SnapshotCache cache, SnapshotProducer producer) => new(
        feed.State is FeedState.Disabled || feed.Loaded ? "ok" : "starting",
        feed.State.ToString().ToLowerInvariant(),
        feed.Watermark,
        streams.Count,
        cache.WatchedIdentities,
        producer.Meshes.Count);
}
