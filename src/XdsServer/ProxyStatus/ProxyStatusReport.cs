using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>The body of <c>GET /proxy-status</c>: every proxy connected to the replicas asked, like <c>istioctl proxy-status</c>.</summary>
public sealed record ProxyStatusReport(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<string> Replicas,
    IReadOnlyList<ProxyStatusEntry> Proxies,
    IReadOnlyList<UnreachableReplica> Unreachable)
{
    /// <summary>
    /// Reads a replica's answer: the report, or a <see cref="JsonException"/> naming the first list, list element or
    /// member never null that is null. System.Text.Json reads <c>[null]</c> into a list of records or strings as a null
    /// element, and a member null or left out (<c>nodeId</c>, a warning's <c>kind</c>) as null, though the records
    /// never leave it null (a member of the wrong type is refused as it is read). The merge, the command's table and
    /// the console's map would fail on it: a replica answering one is named unreachable, as one answering another
    /// malformed report is.
    /// </summary>
    public static async Task<ProxyStatusReport> ReadAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        var report = await http.GetFromJsonAsync<ProxyStatusReport>(url, ProxyStatusJson.Options, cancellationToken)
            ?? throw new JsonException("it answered null, not a proxy status report");
        return report.FirstNull() is { } path ? throw new JsonException($"its report holds null at {path}") : report;
    }

    /// <summary>
    /// The JSON path of the first list, list or map element, or member never null (left out of the JSON, or null in
    /// it) that is null; null when there is none.
    /// </summary>
    private string? FirstNull()
    {
        var found = NullIn("replicas", Replicas) ?? NullIn("proxies", Proxies) ?? NullIn("unreachable", Unreachable);
        for (var i = 0; i < Unreachable?.Count && found is null; i++)
        {
            found = NullAt($"unreachable[{i}]", ("url", Unreachable[i].Url), ("error", Unreachable[i].Error));
        }

        for (var i = 0; i < Proxies?.Count && found is null; i++)
        {
            var (p, at) = (Proxies[i], $"proxies[{i}]");
            found = NullAt(at, ("replica", p.Replica), ("variant", p.Variant), ("nodeId", p.NodeId))
                ?? (p.Types is null ? $"{at}.types" : p.Types.Select(t => NullIn($"{at}.types.{t.Key}", t.Value)).FirstOrDefault(n => n is not null))
                ?? NullIn($"{at}.warnings", p.Warnings, optional: true)
                ?? NullIn($"{at}.unsupportedTypes", p.UnsupportedTypes, optional: true)
                ?? NullIn($"{at}.warningDetails", p.WarningDetails, optional: true)
                ?? p.Missing?.Select(m => NullIn($"{at}.missing.{m.Key}", m.Value)).FirstOrDefault(n => n is not null)
                ?? p.WarningDetails?.Select((d, j) => NullAt($"{at}.warningDetails[{j}]", ("kind", d.Kind), ("message", d.Message))).FirstOrDefault(n => n is not null)
                ?? (p.Registration is { } r ? NullAt($"{at}.registration", ("state", r.State)) : null);
        }

        return found;
    }

    /// <summary><paramref name="path"/> when <paramref name="type"/> is null, else the path of its first member never null that is.</summary>
    private static string? NullIn(string path, TypeStatus? type) =>
        type is null ? path
        : NullAt(path, ("sync", type.Sync))
            ?? (type.LastNack is { } nack ? NullAt($"{path}.lastNack", ("version", nack.Version), ("error", nack.Error)) : null);

    /// <summary>The path of the first of <paramref name="members"/> (named as in the JSON) that is null, or null.</summary>
    private static string? NullAt(string path, params (string Name, string? Value)[] members) =>
        members.Where(m => m.Value is null).Select(m => $"{path}.{m.Name}").FirstOrDefault();

    /// <summary>
    /// <paramref name="path"/> when <paramref name="list"/> is null (unless it is <paramref name="optional"/>), the
    /// path of its first null element, or null.
    /// </summary>
    private static string? NullIn<T>(string path, IReadOnlyList<T>? list, bool optional = false) where T : class =>
        list is null ? (optional ? null : path) : list.Select((item, i) => item is null ? $"{path}[{i}]" : null).FirstOrDefault(p => p is not null);
}

/// <summary>A replica named in <c>Xds:ProxyStatus:Peers</c> that did not answer; its proxies are missing from the report.</summary>
public sealed record UnreachableReplica(string Url, string Error);

/// <summary>
/// One xDS stream and the proxy on it. <see cref="Warnings"/> are the translation warnings that concern the stream
/// (sorted); <see cref="WarningKinds"/> counts them by kind, as the warning metrics' <c>kind</c> label names it, and
/// <see cref="WarningDetails"/> gives each of <see cref="Warnings"/>, in the same order, with its kind. Warnings stays
/// a list of plain messages for the readers written before kinds were given per message (an older replica's report,
/// read by a newer one, has no details). <see cref="Missing"/> names, by type, what the proxy asks for that its
/// configuration does not have (a proxyless client's target that is none of its node's backends).
/// </summary>
public sealed record ProxyStatusEntry(
    string Replica,
    long StreamId,
    string Variant,
    string NodeId,
    string? Resource,
    string? Mesh,
    string? Kind,
    string? Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Waiting,
    IReadOnlyDictionary<string, TypeStatus> Types,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Warnings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Registration.RegistrationStatus? Registration = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? UnsupportedTypes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, int>? WarningKinds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WarningDetail>? WarningDetails = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, IReadOnlyList<string>>? Missing = null);

/// <summary>One translation warning of a stream: its <see cref="Kind"/> as the warning metrics' <c>kind</c> label names it, and its message.</summary>
public sealed record WarningDetail(string Kind, string Message);

/// <summary>
/// One resource type on one stream (keys: cds, eds, lds, rds, sds). <see cref="AckedVersion"/> is the hash of the
/// ACKed resources' names and versions, which is the SotW <c>version_info</c> the proxy ACKed when it holds the whole
/// response. <see cref="Sync"/>: SYNCED (all ACKed), STALE (sent, no answer yet), NACKED (the proxy rejected the
/// newest version and keeps its last good one), NOT_SENT (nothing to send yet, see Waiting).
/// </summary>
public sealed record TypeStatus(
    string Sync,
    int Resources,
    int Acked,
    string? AckedVersion,
    DateTimeOffset? LastAck,
    double? SecondsSinceLastAck,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] NackStatus? LastNack);

/// <summary>The proxy's latest rejection of this type: the version it refused (the hash of the refused resources, which is the SotW response's version_info) and its error_detail.</summary>
public sealed record NackStatus(string Version, string Error, DateTimeOffset At);
