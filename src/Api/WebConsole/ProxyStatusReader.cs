using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Model.Identity;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Reads <c>GET /proxy-status</c> from the xDS servers' admin ports (<see cref="ConsoleOptions.ProxyStatusUrls"/>) and
/// keeps one account's mesh's proxies. The report's shape is the xDS server's; it is passed on as JSON, not
/// re-modelled here. A server that does not answer is named in <c>unreachable</c> rather than failing the whole read.
/// A URL written <c>dns+http://host:port</c> names every address its host resolves to, each read as a replica of its
/// own: a Kubernetes headless Service gives the addresses of the xDS Deployment's pods, which have no stable names to
/// list one by one (ready or not: the base's Service publishes not-ready ones, so a replica starting or stopping is
/// named unreachable rather than left out). Every replica is read at once, so the page waits for the slowest one's
/// answer or timeout, not for the sum of them.
/// </summary>
public sealed partial class ProxyStatusReader(
    IHttpClientFactory clients,
    IOptions<ConsoleOptions> options,
    IOptions<MeshApiOptions> mesh,
    ApiMetrics metrics,
    ILogger<ProxyStatusReader> logger,
    Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    public const string HttpClientName = "console-proxy-status";

    /// <summary>The prefix of a URL whose host names every replica by its addresses.</summary>
    public const string EveryAddressPrefix = "dns+";

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    /// <summary>
    /// The proxies of mesh <paramref name="meshName"/> of account <paramref name="accountId"/>. The xDS servers serve
    /// every account, and mesh names are only unique within one: a proxy is kept by its resource ARN (account and
    /// mesh), never by the mesh's name alone, which would show one account the proxies of another's same-named mesh.
    /// </summary>
    public async Task<JsonObject> ReadAsync(string accountId, string meshName, CancellationToken ct)
    {
        var prefix = $"{Arn.Prefix(Arn.AppMeshService, mesh.Value.Region, accountId)}mesh/{meshName}/";
        var configured = options.Value.ProxyStatusUrls.Where(u => !string.IsNullOrWhiteSpace(u)).ToList();
        var proxies = new JsonArray();
        var unreachable = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var urls = new List<string>();

        // One deadline for the whole read, a dns+ URL's lookup and then the replicas' reads: the page waits
        // ProxyStatusTimeout at most, not a lookup's time-out and then a read's.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Value.ProxyStatusTimeout);
        foreach (var (url, replicas, error) in await Task.WhenAll(configured.Select(url => ReplicaUrlsAsync(url, deadline.Token, ct))))
        {
            urls.AddRange(replicas);
            if (error is not null)
            {
                Unreachable(unreachable, url, error);
            }
        }

        // With several replicas (or ones found by their addresses) each is asked for its own proxies only; one URL
        // lets that replica ask its peers.
        var query = urls.Count > 1 || configured.Any(IsEveryAddress) ? "?local=true" : "";
        foreach (var (url, report, error) in await Task.WhenAll(urls.Select(url => ReadReplicaAsync(url, query, deadline.Token, ct))))
        {
            if (error is not null)
            {
                Unreachable(unreachable, url, error);
                continue;
            }

            // Read as far as it has the report's shape: a URL may name something else that answers JSON.
            foreach (var proxy in (report?["proxies"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var key = $"{proxy["replica"]}/{proxy["streamId"]}";
                if (proxy["resource"] is JsonValue resource && resource.TryGetValue<string>(out var arn)
                    && arn.StartsWith(prefix, StringComparison.Ordinal) && seen.Add(key))
                {
                    proxies.Add(WellFormed(proxy));
                }
            }

            foreach (var missing in (report?["unreachable"] as JsonArray ?? []).OfType<JsonObject>())
            {
                unreachable.Add(missing.DeepClone());
            }
        }

        return new JsonObject
        {
            ["configured"] = configured.Count > 0,
            ["proxies"] = proxies,
            ["unreachable"] = unreachable,
        };
    }

    /// <summary>
    /// A copy of <paramref name="proxy"/> whose types and warnings are of the report's shape, as far as it has them: the
    /// map and the shift page read each of <c>types</c> as an object (its <c>sync</c>), the map each of
    /// <c>warningDetails</c> as an object with a <c>kind</c> and a <c>message</c> and each of <c>warnings</c> as a
    /// message, so an element that is not (a <c>null</c>, a number) is left out, and a member that is not an object or
    /// a list is left out whole (the map then reads the other one, as from a replica that sends only messages).
    /// </summary>
    private static JsonObject WellFormed(JsonObject proxy)
    {
        var copy = (JsonObject)proxy.DeepClone();
        if (copy["types"] is JsonObject types)
        {
            copy["types"] = new JsonObject(types.Where(t => t.Value is JsonObject).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value!.DeepClone())));
        }
        else
        {
            copy.Remove("types");
        }

        if (copy["warningDetails"] is JsonArray details)
        {
            copy["warningDetails"] = new JsonArray(details.OfType<JsonObject>().Where(d => IsText(d["kind"]) && IsText(d["message"])).Select(d => d.DeepClone()).ToArray());
        }
        else
        {
            copy.Remove("warningDetails");
        }

        if (copy["warnings"] is JsonArray messages)
        {
            copy["warnings"] = new JsonArray(messages.Where(IsText).Select(m => m!.DeepClone()).ToArray());
        }
        else
        {
            copy.Remove("warnings");
        }

        return copy;
    }

    private static bool IsText(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out _);

    /// <summary>
    /// JSON naming a member twice is refused as it is parsed: a JsonObject made of it would throw an ArgumentException
    /// only when read, outside the replica's read.
    /// </summary>
    private static readonly System.Text.Json.JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>One replica's report, or why it could not be read by <paramref name="deadline"/> (the caller's <paramref name="ct"/> linked in).</summary>
    private async Task<(string Url, JsonObject? Report, string? Error)> ReadReplicaAsync(string url, string query, CancellationToken deadline, CancellationToken ct)
    {
        try
        {
            var client = clients.CreateClient(HttpClientName);
            var report = (JsonNode.Parse(await client.GetStringAsync($"{url.TrimEnd('/')}/proxy-status{query}", deadline), documentOptions: Strict)
                ?? throw new System.Text.Json.JsonException("it answered null, not a proxy status report")).AsObject();
            return (url, report, null);
        }
        // A URL HttpClient cannot ask (relative, malformed, or of a scheme other than http's, as a host:port with its
        // scheme left out is) is named as a replica that does not answer is.
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException or UriFormatException or NotSupportedException && !ct.IsCancellationRequested)
        {
            return (url, null, e.Message);
        }
    }

    private static bool IsEveryAddress(string url) => url.StartsWith(EveryAddressPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The replica URLs a configured URL stands for: itself, or one per address of a <c>dns+</c> URL's host; and, when
    /// it stands for none, why (named unreachable, as a replica that does not answer is).
    /// </summary>
    private async Task<(string Url, IReadOnlyList<string> Replicas, string? Error)> ReplicaUrlsAsync(string url, CancellationToken deadline, CancellationToken ct)
    {
        if (!IsEveryAddress(url))
        {
            return (url, [url], null);
        }

        if (!Uri.TryCreate(url[EveryAddressPrefix.Length..], UriKind.Absolute, out var named) || named.HostNameType != UriHostNameType.Dns)
        {
            return (url, [], $"a {EveryAddressPrefix} URL names a host to resolve, as {EveryAddressPrefix}http://mesh-xds-admin.mesh-system.svc:18001");
        }

        try
        {
            var addresses = await _resolve(named.DnsSafeHost, deadline);
            var replicas = addresses.Distinct().Order(Comparer<IPAddress>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString())))
                .Select(address => new UriBuilder(named) { Host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString() }.Uri.ToString().TrimEnd('/'))
                .ToList();
            return (url, replicas, replicas.Count == 0 ? $"{named.DnsSafeHost} resolves to no address: there is no xDS replica to ask" : null);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return (url, [], $"{named.DnsSafeHost} could not be resolved: {e.Message}");
        }
    }

    private void Unreachable(JsonArray unreachable, string url, string error)
    {
        LogUnreachable(logger, url, error);
        metrics.ProxyStatusUnreachable();
        unreachable.Add(new JsonObject { ["url"] = url, ["error"] = error });
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Proxy status from {Url} could not be read: {Error}")]
    private static partial void LogUnreachable(ILogger logger, string url, string error);
}
