using System.Security.Cryptography;
using System.Text;
using Envoy.Admin.V3;
using Mesh.Translation;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>
/// Builds the proxy-status report from this replica's CSDS state (<see cref="StreamRegistry"/>), and merges the
/// reports of the peers in <c>Xds:ProxyStatus:Peers</c>: each replica knows only its own streams.
/// </summary>
public sealed class ProxyStatusCollector(
    StreamRegistry registry,
    SnapshotCache cache,
    IOptions<ProxyStatusOptions> options,
    IOptions<AccountOptions> mesh,
    TimeProvider clock,
    IHttpClientFactory? httpClients = null)
{
    public string ReplicaId { get; } = options.Value.ReplicaId is { Length: > 0 } id ? id : $"{Environment.MachineName}:{Environment.ProcessId}";

    public ProxyStatusReport Local()
    {
        var now = clock.GetUtcNow();
        var proxies = registry.Streams.Where(s => s.Node is not null).Select(s => Entry(s, now)).ToList();
        return Merge([new ProxyStatusReport(now, [ReplicaId], proxies, [])], [], now);
    }

    /// <summary>This replica and every configured peer (each asked for its own streams only, so peers never loop).</summary>
    public async Task<ProxyStatusReport> AllAsync(CancellationToken cancellationToken)
    {
        var local = Local();
        var peers = options.Value.Peers.Where(p => p.Length > 0).ToList();
        if (peers.Count == 0)
        {
            return local;
        }

        var answers = await Task.WhenAll(peers.Select(p => FetchAsync(p, cancellationToken)));
        return Merge([local, .. answers.Select(a => a.Report).OfType<ProxyStatusReport>()], answers.Select(a => a.Failure).OfType<UnreachableReplica>(), now: local.GeneratedAt);
    }

    public static ProxyStatusReport Merge(IEnumerable<ProxyStatusReport> reports, IEnumerable<UnreachableReplica> unreachable, DateTimeOffset now)
    {
        var list = reports.ToList();
        return new ProxyStatusReport(
            now,
            list.SelectMany(r => r.Replicas).Distinct().ToList(),
            list.SelectMany(r => r.Proxies).OrderBy(p => p.NodeId, StringComparer.Ordinal).ThenBy(p => p.Replica, StringComparer.Ordinal).ThenBy(p => p.StreamId).ToList(),
            [.. list.SelectMany(r => r.Unreachable), .. unreachable]);
    }

    private async Task<(ProxyStatusReport? Report, UnreachableReplica? Failure)> FetchAsync(string peer, CancellationToken cancellationToken)
    {
        var url = $"{peer.TrimEnd('/')}/proxy-status?local=true";
        try
        {
            using var http = httpClients?.CreateClient("proxy-status") ?? new HttpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.PeerTimeout);
            return (await ProxyStatusReport.ReadAsync(http, url, timeout.Token), null);
        }
        // InvalidOperationException: an answer whose charset .NET does not know (something other than a replica answers).
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException
            && !cancellationToken.IsCancellationRequested)
        {
            return (null, new UnreachableReplica(peer, e.Message));
        }
    }

    private ProxyStatusEntry Entry(StreamStatus stream, DateTimeOffset now)
    {
        var identity = stream.Identity;
        var problem = identity is null ? null : cache.Problem(identity);
        var types = new SortedDictionary<string, TypeStatus>(StringComparer.Ordinal);
        var refusals = stream.Refusals;
        // A name reported not to exist (delta's removed_resources) is no resource of the proxy's: a subscription that
        // named only such names has been sent nothing yet (NOT_SENT, as over SotW, which sends nothing for them).
        var resources = stream.Resources;
        foreach (var group in resources.Where(r => r.Value.ClientStatus != ClientResourceStatus.DoesNotExist).GroupBy(r => r.Key.Type))
        {
            var refusal = refusals.TryGetValue(group.Key, out var r) ? new NackStatus(r.Version, r.Error, r.At) : null;
            types[TypeUrls.ShortName(group.Key)] = TypeOf(group.Select(g => (g.Key.Name, g.Value)).ToList(), refusal, now);
        }

        var empty = stream.EmptyAnswers;
        var toldMissing = resources.Where(r => r.Value.ClientStatus == ClientResourceStatus.DoesNotExist).Select(r => r.Key.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var requested in stream.RequestedTypes.Where(t => !types.ContainsKey(TypeUrls.ShortName(t))))
        {
            // An empty answer is the whole answer only to a subscription that named nothing it was told is missing.
            types[TypeUrls.ShortName(requested)] = empty.TryGetValue(requested, out var answer) && !toldMissing.Contains(requested)
                ? EmptyTypeOf(answer.State, answer.Error, answer.At, now)
                : new TypeStatus("NOT_SENT", 0, 0, null, null, null, null);
        }

        var warnings = identity is null ? null : WarningsFor(identity, stream.Node);
        return new ProxyStatusEntry(
            ReplicaId,
            stream.Id,
            stream.Variant,
            stream.Node!.Id,
            identity?.ToArn(mesh.Value.Region),
            identity?.Mesh.MeshName,
            identity?.Kind.WireName(),
            identity?.Name,
            problem,
            types,
            warnings?.Select(w => w.Message).ToList(),
            stream.Registration,
            stream.UnsupportedTypes,
            warnings?.GroupBy(w => w.Kind.Label(), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            warnings?.Select(w => new WarningDetail(w.Kind.Label(), w.Message)).ToList(),
            MissingOf(stream, identity, resources));
    }

    /// <summary>
    /// The names the proxy asks for that its configuration does not have, by type (cds, lds, …; each list sorted),
    /// null when none: over SotW, its subscriptions' names the snapshot it is served lacks (none while it has no
    /// snapshot: <c>waiting</c> says why); over delta, the names it was told do not exist.
    /// </summary>
    private SortedDictionary<string, IReadOnlyList<string>>? MissingOf(StreamStatus stream, ProxyIdentity? identity, IReadOnlyDictionary<(string Type, string Name), ResourceStatus> resources)
    {
        SortedDictionary<string, IReadOnlyList<string>>? missing = null;
        if (identity is not null && cache.Current(identity) is { } snapshot)
        {
            foreach (var (typeUrl, names) in stream.NamedSubscriptions)
            {
                var set = snapshot[typeUrl];
                if (names.Where(n => !set.ByName.ContainsKey(n)).ToList() is { Count: > 0 } absent)
                {
                    (missing ??= new(StringComparer.Ordinal))[TypeUrls.ShortName(typeUrl)] = absent;
                }
            }
        }

        foreach (var group in resources.Where(r => r.Value.ClientStatus == ClientResourceStatus.DoesNotExist).GroupBy(r => r.Key.Type))
        {
            (missing ??= new(StringComparer.Ordinal))[TypeUrls.ShortName(group.Key)] = group.Select(g => g.Key.Name).Order(StringComparer.Ordinal).ToList();
        }

        return missing;
    }

    /// <summary>
    /// The identity's translation warnings that concern this stream: its Envoy's; and for a gRPC library (its node's
    /// user_agent_name is gRPC's: "gRPC Node Pure JS", "gRPC C-core ...", "gRPC Go", "gRPC Java") those only gRPC
    /// clients and servers miss.
    /// </summary>
    private IReadOnlyList<TranslationWarning>? WarningsFor(ProxyIdentity identity, Envoy.Config.Core.V3.Node? node)
    {
        var warnings = cache.Warnings(identity);
        if (node?.UserAgentName.StartsWith("grpc", StringComparison.OrdinalIgnoreCase) == true && cache.ProxylessWarnings(identity) is { Count: > 0 } proxyless)
        {
            warnings = [.. warnings.Union(proxyless).Order()];
        }

        return warnings.Count > 0 ? warnings : null;
    }

    /// <summary>A type whose latest response was empty: sent (and ACKed, or NACKed), with no resource to show.</summary>
    private static TypeStatus EmptyTypeOf(ClientResourceStatus state, string? error, DateTimeOffset at, DateTimeOffset now) => state switch
    {
        ClientResourceStatus.Acked => new TypeStatus("SYNCED", 0, 0, VersionOf([]), at, Math.Round((now - at).TotalSeconds, 3), null),
        ClientResourceStatus.Nacked => new TypeStatus("NACKED", 0, 0, null, null, null, new NackStatus(VersionOf([]), error ?? "", at)),
        _ => new TypeStatus("STALE", 0, 0, null, null, null, null),
    };

    /// <summary>
    /// One type of a stream. <paramref name="refusal"/> is the state-of-the-world response the proxy NACKed, if it did
    /// (a delta NACK is known by the resources it refused).
    /// </summary>
    private static TypeStatus TypeOf(IReadOnlyList<(string Name, ResourceStatus Status)> resources, NackStatus? refusal, DateTimeOffset now)
    {
        // What the proxy runs: what it ACKed, and of what it NACKed the version it keeps (none if it had none).
        var acked = resources.Where(r => r.Status.ClientStatus == ClientResourceStatus.Acked
            || (r.Status.ClientStatus == ClientResourceStatus.Nacked && r.Status.Version.Length > 0)).ToList();
        var nacked = resources.Where(r => r.Status.ClientStatus == ClientResourceStatus.Nacked).OrderByDescending(r => r.Status.RejectedAt ?? r.Status.LastUpdated).ToList();
        var pending = resources.Any(r => r.Status.ClientStatus == ClientResourceStatus.Requested);
        var sync = nacked.Count > 0 || refusal is not null ? "NACKED" : pending ? "STALE" : acked.Count > 0 || resources.Count > 0 ? "SYNCED" : "NOT_SENT";
        DateTimeOffset? lastAck = acked.Count > 0 ? acked.Max(r => r.Status.LastUpdated) : null;
        // A delta NACK's version is that of the versions it refused (a SotW refusal names its response's own).
        var lastNack = refusal ?? (nacked.Count > 0
            ? new NackStatus(VersionOf(nacked.Select(n => (n.Name, n.Status.RejectedVersion ?? n.Status.Version))), nacked[0].Status.Error ?? "", nacked[0].Status.RejectedAt ?? nacked[0].Status.LastUpdated)
            : null);
        return new TypeStatus(
            sync,
            resources.Count,
            acked.Count,
            acked.Count > 0 ? VersionOf(acked.Select(a => (a.Name, a.Status.Version))) : null,
            lastAck,
            lastAck is { } at ? Math.Round((now - at).TotalSeconds, 3) : null,
            lastNack);
    }

    /// <summary>The same hash as <see cref="Hashing.VersionOf"/>: names and versions in name order.</summary>
    private static string VersionOf(IEnumerable<(string Name, string Version)> resources)
    {
        var text = new StringBuilder();
        foreach (var (name, version) in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            text.Append(name).Append('=').Append(version).Append('\n');
        }

        return Hashing.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 16);
    }
}
