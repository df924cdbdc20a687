using System.Diagnostics;
using System.Globalization;

namespace Mesh.Fleet;

/// <summary>
/// Each proxy's latency in each route change, one CSV line per proxy and change (<c>--latencies FILE</c>): which proxies
/// make a change's tail, beside the order they were configured in at the connect and their identity (node id), so the
/// tail can be ranked by either (docs/benchmarks.md, issue13bn). The p99 the fleet prints is over the same numbers.
/// </summary>
internal static class ProxyLatencies
{
    public const string Header = "variant,change,proxy,node,configured_order,latency_ms,received_ms";

    /// <summary>Appends one change's lines (and the header, to a new file); <paramref name="before"/> is when the change was written to the API.</summary>
    public static void Append(string file, string variant, int change, IReadOnlyList<SimulatedEnvoy> proxies, long before)
    {
        var lines = Lines(variant, change, [.. proxies.Select(p => new ProxyTimes(p.NodeId, p.ConfiguredAt, p.LastRdsAt, p.LastRdsReceivedAt))], before);
        var header = File.Exists(file) ? [] : new[] { Header };
        File.AppendAllLines(file, [.. header, .. lines]);
    }

    /// <summary>One line per proxy, in the fleet's order; the configured order is the rank of its configuration time (0: first).</summary>
    public static IEnumerable<string> Lines(string variant, int change, IReadOnlyList<ProxyTimes> proxies, long before)
    {
        var order = new int[proxies.Count];
        var rank = 0;
        foreach (var i in Enumerable.Range(0, proxies.Count).OrderBy(i => proxies[i].ConfiguredAt))
        {
            order[i] = rank++;
        }

        return proxies.Select((p, i) => string.Create(CultureInfo.InvariantCulture,
            $"{variant},{change},{i},{p.Node},{order[i]},{Milliseconds(before, p.AnsweredAt):F1},{Milliseconds(before, p.ReceivedAt):F1}"));
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}

/// <summary>A proxy's timestamps (<see cref="Stopwatch"/> ticks): configured at the connect, the change's route read and ACKed.</summary>
internal readonly record struct ProxyTimes(string Node, long ConfiguredAt, long AnsweredAt, long ReceivedAt);
