using Mesh.XdsServer.Feed;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Readiness: the server can serve once the first load from PostgreSQL is done (or when it runs without a database).
/// Before that a load balancer should send proxies elsewhere. A database outage after the first load stays healthy,
/// because the last snapshots keep serving; the feed's state in the report says so.
/// </summary>
public sealed class FeedLoadedCheck(FeedStatus feed) : IHealthCheck
{
    public const string Name = "feed";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(feed.Ready
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"the first load from PostgreSQL has not finished (feed {feed.State.ToString().ToLowerInvariant()})"));
}
