using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Model.Identity;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Reads <c>GET /proxy-status</c> from the xDS servers' admin ports (<see cref="ConsoleOptions.ProxyStatusUrls"/>) and
/// keeps one account's mesh's proxies. The report's shape is the xDS server's; it is passed on as JSON, not
/// re-modelled here. A server that does not answer is named in <c>unreachable</c> rather than failing the whole read.
/// </summary>
public sealed partial class ProxyStatusReader(
    IHttpClientFactory clients,
    IOptions<ConsoleOptions> options,
    IOptions<MeshApiOptions> mesh,
    ApiMetrics metrics,
    ILogger<ProxyStatusReader> logger)
{
    public const string HttpClientName = "console-proxy-status";

    /// <summary>
    /// The proxies of mesh <paramref name="meshName"/> of account <paramref name="accountId"/>. The xDS servers serve
    /// every account, and mesh names are only unique within one: a proxy is kept by its resource ARN (account and
    /// mesh), never by the mesh's name alone, which would show one account the proxies of another's same-named mesh.
    /// </summary>
    public async Task<JsonObject> ReadAsync(string accountId, string meshName, CancellationToken ct)
    {
        var prefix = $"{Arn.Prefix(Arn.AppMeshService, mesh.Value.Region, accountId)}mesh/{meshName}/";
        var urls = options.Value.ProxyStatusUrls.Where(u => !string.IsNullOrWhiteSpace(u)).ToList();
        var proxies = new JsonArray();
        var unreachable = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        // With several URLs each replica is asked for its own proxies only; one URL lets that replica ask its peers.
        var query = urls.Count > 1 ? "?local=true" : "";
        foreach (var url in urls)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.Value.ProxyStatusTimeout);
                var client = clients.CreateClient(HttpClientName);
                var report = JsonNode.Parse(await client.GetStringAsync($"{url.TrimEnd('/')}/proxy-status{query}", timeout.Token))?.AsObject();
                foreach (var proxy in report?["proxies"]?.AsArray() ?? [])
                {
                    var key = $"{proxy?["replica"]}/{proxy?["streamId"]}";
                    if (proxy?["resource"] is JsonValue resource && resource.TryGetValue<string>(out var arn)
                        && arn.StartsWith(prefix, StringComparison.Ordinal) && seen.Add(key))
                    {
                        proxies.Add(proxy.DeepClone());
                    }
                }

                foreach (var missing in report?["unreachable"]?.AsArray() ?? [])
                {
                    unreachable.Add(missing?.DeepClone());
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                LogUnreachable(logger, url, e.Message);
                metrics.ProxyStatusUnreachable();
                unreachable.Add(new JsonObject { ["url"] = url, ["error"] = e.Message });
            }
        }

        return new JsonObject
        {
            ["configured"] = urls.Count > 0,
            ["proxies"] = proxies,
            ["unreachable"] = unreachable,
        };
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Proxy status from {Url} could not be read: {Error}")]
    private static partial void LogUnreachable(ILogger logger, string url, string error);
}
