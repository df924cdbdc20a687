using System.Diagnostics;
using System.Globalization;

namespace Mesh.Fleet;

/// <summary>
/// The errors of a phase placed in time against its events (a server's SIGTERM, its exit, the next server's start
/// and readiness): per server and kind of error, when the failed streams were opened and when they failed, in
/// seconds from the phase's reference point, and how many failed in each second. A count alone says something went
/// wrong; the times say whether it was the stopping server or the starting one.
/// </summary>
internal static class ErrorTimeline
{
    public static IEnumerable<string> Describe(IEnumerable<FleetError> errors, long reference, IReadOnlyList<(string Event, long At)> events)
    {
        var list = errors.Where(e => e.FailedAt >= reference).ToList();
        if (events.Count > 0)
        {
            yield return "  events: " + string.Join(", ", events.Select(e => $"{e.Event} {Seconds(reference, e.At)}"));
        }

        if (list.Count == 0)
        {
            yield return "  none";
            yield break;
        }

        foreach (var group in list.GroupBy(e => (e.Server.Authority, Kind: Kind(e.Message))).OrderByDescending(g => g.Count()))
        {
            var opened = group.Select(e => e.OpenedAt).Order().ToList();
            var failed = group.Select(e => e.FailedAt).Order().ToList();
            yield return $"  {group.Count()} × {group.Key.Kind} (server {group.Key.Authority}): streams opened {Range(reference, opened)}, failed {Range(reference, failed)}";
            var perSecond = failed.GroupBy(f => (int)Math.Floor(Stopwatch.GetElapsedTime(reference, f).TotalSeconds))
                .Select(s => $"{s.Key}s:{s.Count()}");
            yield return $"    failed per second after the reference: {string.Join(' ', perSecond)}";
        }
    }

    /// <summary>The error's exception type and message, cut to a line.</summary>
    internal static string Kind(string message) => message.Length <= 400 ? message : message[..400] + "…";

    private static string Range(long reference, List<long> sorted) =>
        $"{Seconds(reference, sorted[0])} … {Seconds(reference, sorted[sorted.Count / 2])} (median) … {Seconds(reference, sorted[^1])}";

    private static string Seconds(long reference, long at)
    {
        var seconds = (at - reference) / (double)Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds:+0.00;-0.00} s");
    }
}
