using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.Fleet;

/// <summary>
/// The xDS server's own timeline of each route change per identity (its <c>GET /change-timelines</c>: when the
/// identity's snapshot was built, published and taken, slotted and written by its streams), beside when that
/// identity's proxies got the change, one CSV line per identity and change (<c>--server-timelines FILE</c>): what a
/// late identity waited on (docs/benchmarks.md, issue13bo). Every time is in milliseconds after the change was written
/// to the API, as in <c>--latencies</c>: the server's are <see cref="Stopwatch"/> timestamps, which on Linux are the
/// monotonic clock every process on the host shares.
/// </summary>
internal static class ServerTimelines
{
    public const string Header =
        "variant,change,identity,proxies,build_order,thread,handed_ms,build_started_ms,build_finished_ms,published_ms,outcome,offered," +
        "taken,taken_first_ms,taken_last_ms,slotted,slotted_first_ms,slotted_last_ms,written,written_first_ms,written_last_ms," +
        "answered_first_ms,answered_median_ms,answered_last_ms";

    /// <summary>Reads the server's timelines and appends the change's lines (and the header, to a new file).</summary>
    public static async Task AppendAsync(string file, XdsAdmin admin, string variant, int change, IReadOnlyList<SimulatedEnvoy> proxies, long before)
    {
        var report = JsonNode.Parse(await admin.GetStringAsync("/change-timelines"))!;
        var lines = Lines(variant, change, report, [.. proxies.Select(p => new ProxyTimes(p.NodeId, p.ConfiguredAt, p.LastRdsAt, p.LastRdsReceivedAt))], before);
        var header = File.Exists(file) ? [] : new[] { Header };
        File.AppendAllLines(file, [.. header, .. lines]);
    }

    /// <summary>
    /// One line per identity of every server change handed over after <paramref name="before"/>, its proxies being
    /// those whose node id is the identity's short form (<c>mesh/M/virtualNode/N</c>, as the fleet sends) or its ARN
    /// (which ends with the account and the short form).
    /// </summary>
    public static IEnumerable<string> Lines(string variant, int change, JsonNode report, IReadOnlyList<ProxyTimes> proxies, long before)
    {
        var frequency = report["frequency"]!.GetValue<long>();
        if (frequency != Stopwatch.Frequency)
        {
            throw new InvalidOperationException($"the server's clock ticks {frequency} a second, the fleet's {Stopwatch.Frequency}: not the same clock");
        }

        var byNode = proxies.GroupBy(p => p.Node).ToList();
        foreach (var server in report["changes"]!.AsArray().Select(c => c!).Where(c => c["handedAt"]!.GetValue<long>() >= before))
        {
            var handed = Stopwatch.GetElapsedTime(before, server["handedAt"]!.GetValue<long>()).TotalMilliseconds;
            foreach (var identity in server["identities"]!.AsArray().Select(i => i!))
            {
                var name = identity["identity"]!.GetValue<string>();
                var shortForm = name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..];
                var answered = byNode.Where(g => g.Key == shortForm || g.Key.EndsWith(name, StringComparison.Ordinal)).SelectMany(g => g)
                    .Select(p => Stopwatch.GetElapsedTime(before, p.AnsweredAt).TotalMilliseconds).Order().ToList();
                string At(JsonNode? ms) => ms is null ? "" : Format(handed + ms.GetValue<double>());
                string Marks(string step) => $"{identity[step]!["count"]},{At(identity[step]!["firstMs"])},{At(identity[step]!["lastMs"])}";
                yield return string.Join(',',
                    variant,
                    change.ToString(CultureInfo.InvariantCulture),
                    name,
                    answered.Count.ToString(CultureInfo.InvariantCulture),
                    identity["order"]!.ToString(),
                    identity["thread"]!.ToString(),
                    Format(handed),
                    At(identity["buildStartedMs"]),
                    At(identity["buildFinishedMs"]),
                    At(identity["publishedMs"]),
                    identity["outcome"]!.GetValue<string>(),
                    identity["offered"]!.ToString(),
                    Marks("taken"),
                    Marks("slotted"),
                    Marks("written"),
                    answered.Count == 0 ? "" : Format(answered[0]),
                    answered.Count == 0 ? "" : Format(answered[answered.Count / 2]),
                    answered.Count == 0 ? "" : Format(answered[^1]));
            }
        }
    }

    private static string Format(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);
}
