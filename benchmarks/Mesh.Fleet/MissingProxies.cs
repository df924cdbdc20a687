using System.Text;
using System.Text.Json;

namespace Mesh.Fleet;

/// <summary>
/// When a change's wait runs out: both sides' facts for the proxies it never reached, so the report names the side
/// that is wrong (issue13as). The fleet's side is each proxy's <see cref="ProxyTrace"/>; the server's is its proxy
/// status (<c>GET /proxy-status?local=true</c> on the admin port) for the same node ids. A node id is shared by the
/// proxies of one client virtual node, so the server's streams are matched to a proxy by node id and compared by
/// version: the route version the node's other proxies read in this change is the one the missing proxy should hold.
/// </summary>
internal static class MissingProxies
{
    private const int Listed = 10;

    /// <param name="proxies">Every proxy the change waits for, with its count of route responses before the change.</param>
    /// <param name="since">The change's start (a Stopwatch timestamp, before the API call).</param>
    /// <param name="proxyStatus">The server's proxy status as JSON, or null when it could not be read.</param>
    public static string Describe(IReadOnlyList<(SimulatedEnvoy Proxy, int CountBefore)> proxies, long since, string? proxyStatus)
    {
        var facts = proxies.Select(p => (p.Proxy, p.CountBefore, Facts: p.Proxy.Trace.Facts())).ToList();
        var missing = facts.Where(f => f.Proxy.RdsResponses <= f.CountBefore).ToList();
        if (missing.Count == 0)
        {
            return "no proxy is missing now (the last ones arrived after the wait ran out)";
        }

        // The version a node's proxies read in this change: what the node's missing proxy should hold.
        var changed = facts.Where(f => f.Proxy.RdsResponses > f.CountBefore && f.Facts.RouteReadSince(since))
            .GroupBy(f => f.Proxy.NodeId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(f => f.Facts.Route.ReceivedVersion).MaxBy(v => v.Count())!.Key, StringComparer.Ordinal);
        var server = ServerStreams.Parse(proxyStatus);

        var text = new StringBuilder();
        text.Append($"the {missing.Count} missing proxies, by what the fleet saw: ");
        text.AppendJoin("; ", missing.GroupBy(m => Kind(m.Facts, since, changed.GetValueOrDefault(m.Proxy.NodeId))).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}"));
        if (server is null)
        {
            text.Append(". The server's proxy status could not be read");
        }
        else
        {
            var nodes = missing.Select(m => m.Proxy.NodeId).Distinct(StringComparer.Ordinal).ToList();
            text.Append($". The server (proxy status, {server.Count} streams): the missing proxies' {nodes.Count} node ids have ");
            text.AppendJoin("; ", nodes.SelectMany(n => server.Of(n).Select(s => s.Reading(changed.GetValueOrDefault(n))))
                .GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} streams {g.Key}"));
            text.Append($"; streams per node id: {string.Join(", ", nodes.Select(n => server.Of(n).Count).GroupBy(c => c).OrderBy(g => g.Key).Select(g => $"{g.Key} ({g.Count()} nodes)"))}");
            text.Append($" (the fleet has {string.Join(", ", nodes.Select(n => facts.Count(f => f.Proxy.NodeId == n)).Distinct())} proxies per node)");
        }

        foreach (var (proxy, countBefore, fact) in missing.Take(Listed))
        {
            var expected = changed.GetValueOrDefault(proxy.NodeId);
            text.AppendLine();
            text.Append($"  {proxy.NodeId}: route responses counted {proxy.RdsResponses} (before the change {countBefore}); the node's other proxies read v={ProxyFacts.Short(expected)} in this change; fleet: {fact.Describe(since)}");
            if (server is not null)
            {
                text.Append($"; server, the node's streams: {string.Join(", ", server.Of(proxy.NodeId).Select(s => s.Reading(expected)).GroupBy(r => r).Select(g => $"{g.Count()}× {g.Key}"))}");
            }
        }

        return text.ToString();
    }

    /// <summary>Which of the ways a change can miss a proxy the fleet's side shows for it.</summary>
    internal static string Kind(ProxyFacts facts, long since, string? expected)
    {
        if (facts.RouteReadSince(since))
        {
            var holds = expected is not null && facts.Route.ReceivedVersion == expected ? "holds the node's new route version" : "read a route response";
            return facts.RouteAcked
                ? $"{holds} since the change and ACKed it (the fleet's count missed it)"
                : facts.StreamEndedSince(facts.Route.ReceivedAt)
                    ? $"{holds} since the change but its stream ended before the ACK was written"
                    : $"{holds} since the change, its ACK not written yet";
        }

        return facts.StreamEndedSince(since)
            ? "read no route response since the change; a stream ended during the change"
            : "read no route response since the change, on a stream open since before it";
    }

    /// <summary>The server's streams from its proxy status, by node id.</summary>
    private sealed class ServerStreams(ILookup<string, ServerStream> byNode, int count)
    {
        public int Count { get; } = count;

        public IReadOnlyList<ServerStream> Of(string nodeId) => [.. byNode[nodeId]];

        public static ServerStreams? Parse(string? json)
        {
            if (json is null)
            {
                return null;
            }

            using var document = JsonDocument.Parse(json);
            var streams = new List<ServerStream>();
            foreach (var proxy in document.RootElement.GetProperty("proxies").EnumerateArray())
            {
                var rds = proxy.GetProperty("types").TryGetProperty("rds", out var r) ? r : (JsonElement?)null;
                streams.Add(new ServerStream(
                    proxy.GetProperty("nodeId").GetString()!,
                    proxy.GetProperty("streamId").GetInt64(),
                    rds?.GetProperty("sync").GetString() ?? "no rds",
                    rds is { } a && a.GetProperty("ackedVersion").ValueKind == JsonValueKind.String ? a.GetProperty("ackedVersion").GetString() : null));
            }

            return new ServerStreams(streams.ToLookup(s => s.NodeId, StringComparer.Ordinal), streams.Count);
        }
    }

    /// <summary>One server stream's RDS state: its sync, the version it last saw ACKed, and how long ago.</summary>
    private sealed record ServerStream(string NodeId, long StreamId, string Sync, string? AckedVersion)
    {
        /// <summary>
        /// Its RDS sync, and whether the version it believes ACKed is the node's new one: for SotW the server's ACKed
        /// version is the response's version_info; a delta proxy's trace holds name@version, which it is not.
        /// </summary>
        public string Reading(string? expected) =>
            $"rds {Sync}{(AckedVersion is null ? "" : expected is null || expected.Contains('@', StringComparison.Ordinal) ? $" at v={ProxyFacts.Short(AckedVersion)}" : AckedVersion == expected ? " at the new version" : $" at another version (v={ProxyFacts.Short(AckedVersion)})")}";
    }
}
