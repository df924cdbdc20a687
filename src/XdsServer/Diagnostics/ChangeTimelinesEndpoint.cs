using System.Diagnostics;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// <c>GET /change-timelines</c> (JSON): the last mesh changes' fan-out per identity (<see cref="ChangeTimeline"/>),
/// each time in milliseconds after the change was handed to the producer, with that moment as a
/// <see cref="Stopwatch"/> timestamp (<c>handedAt</c>, ticks of <c>frequency</c> a second) so that a client on the
/// same host can put its own times beside them. Served on the admin port only, as <c>/proxy-status</c> is: it names
/// identities.
/// </summary>
public static class ChangeTimelinesEndpoint
{
    public static IEndpointRouteBuilder MapChangeTimelines(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/change-timelines", Get);
        return endpoints;
    }

    public static Results<JsonHttpResult<Report>, NotFound> Get(ChangeTimelines timelines, HttpContext context) =>
        ProxyStatusEndpoint.OnGrpcListener(context)
            ? TypedResults.NotFound()
            : TypedResults.Json(Of(timelines.Recent()));

    public static Report Of(IReadOnlyList<ChangeTimeline> changes) =>
        new(Stopwatch.Frequency, [.. changes.Select(Change)]);

    private static ChangeReport Change(ChangeTimeline c) => new(
        c.Mesh.ToString(),
        c.Generation,
        c.Handed,
        c.HandedUtc,
        Ms(c, c.BuildsQueued),
        Ms(c, c.BuildsFinished),
        c.PoolThreads,
        c.PoolPending,
        c.Skipped,
        [.. c.Identities.Select(i => new IdentityReport(
            i.Identity.ToString(),
            i.Order,
            i.Thread,
            Ms(c, i.BuildStarted),
            Ms(c, i.BuildFinished),
            Ms(c, i.Published),
            i.Outcome,
            i.Offered,
            Marks(c, i.Taken),
            Marks(c, i.Slotted),
            Marks(c, i.Written)))]);

    private static MarksReport Marks(ChangeTimeline c, StreamMarks m) => new(m.Count, Ms(c, m.First), Ms(c, m.Last));

    /// <summary>Milliseconds after the change was handed over; null for a step not reached.</summary>
    private static double? Ms(ChangeTimeline c, long at) =>
        at == 0 ? null : Math.Round(Stopwatch.GetElapsedTime(c.Handed, at).TotalMilliseconds, 2);

    public sealed record Report(long Frequency, IReadOnlyList<ChangeReport> Changes);

    public sealed record ChangeReport(
        string Mesh,
        long Generation,
        long HandedAt,
        DateTimeOffset HandedUtc,
        double? BuildsQueuedMs,
        double? BuildsFinishedMs,
        int PoolThreads,
        long PoolPending,
        int Skipped,
        IReadOnlyList<IdentityReport> Identities);

    /// <summary>One identity: its build (order started, thread, times), its publication, and its streams' steps.</summary>
    public sealed record IdentityReport(
        string Identity,
        int Order,
        int Thread,
        double? BuildStartedMs,
        double? BuildFinishedMs,
        double? PublishedMs,
        string Outcome,
        int Offered,
        MarksReport Taken,
        MarksReport Slotted,
        MarksReport Written);

    /// <summary>How many of the identity's streams reached a step, and when the first and the last did.</summary>
    public sealed record MarksReport(int Count, double? FirstMs, double? LastMs);
}
