using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>
/// <c>Mesh.XdsServer proxy-status [--url http://127.0.0.1:18001]… [--json]</c>: reads <c>GET /proxy-status</c> from
/// one or more replicas' admin ports and prints one line per connected proxy, like <c>istioctl proxy-status</c>,
/// then every NACK with its error and every proxy still waiting for its configuration.
/// </summary>
public static class ProxyStatusCommand
{
    public const string DefaultUrl = "http://127.0.0.1:18001";
    private static readonly string[] Types = ["cds", "eds", "lds", "rds"];

    private const string ShortUsage = "usage: proxy-status [--url <admin url>]... [--json]";

    private static readonly Option<string[]> UrlOption = new("--url")
    {
        Description = $"An xDS replica's admin URL; repeat it to ask several replicas directly [default: {DefaultUrl}]",
        HelpName = "admin url",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the merged report as JSON" };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken, HttpMessageHandler? handler = null)
    {
        var command = new Command("proxy-status", "Every connected proxy's sync state, from one or more xDS replicas' admin ports")
        {
            UrlOption,
            JsonOption,
            new HelpOption(),
        };
        command.SetAction((parsed, ct) => ReportAsync(parsed.GetValue(UrlOption) ?? [], parsed.GetValue(JsonOption), output, handler, ct));

        // Under the binary's name, so that the help's usage line reads "Mesh.XdsServer proxy-status [options]".
        var result = new Command("Mesh.XdsServer") { command }.Parse([command.Name, .. args]);
        if (result.Errors is [var first, ..])
        {
            // One line naming the problem; System.CommandLine's default would print every error and the whole help.
            await error.WriteLineAsync($"proxy-status: {first.Message} ({ShortUsage})");
            return 2;
        }

        return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    private static async Task<int> ReportAsync(string[] requested, bool json, TextWriter output, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        string[] urls = requested.Length == 0 ? [DefaultUrl] : requested;

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromSeconds(15);

        // One URL: that replica merges its configured peers. Several: each is asked for its own streams only.
        var reports = new List<ProxyStatusReport>();
        var unreachable = new List<UnreachableReplica>();
        foreach (var url in urls)
        {
            var target = $"{url.TrimEnd('/')}/proxy-status{(urls.Length > 1 ? "?local=true" : "")}";
            try
            {
                reports.Add(await ProxyStatusReport.ReadAsync(http, target, cancellationToken));
            }
            // A URL HttpClient cannot ask, its http:// left out: NotSupportedException for localhost:18001 (read as a
            // scheme), InvalidOperationException for 127.0.0.1:18001 (read as a relative URI); UriFormatException.
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or NotSupportedException or UriFormatException
                or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                unreachable.Add(new UnreachableReplica(url, e.Message));
            }
        }

        var report = ProxyStatusCollector.Merge(reports, unreachable, DateTimeOffset.UtcNow);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(report, ProxyStatusJson.Options));
        }
        else
        {
            await output.WriteAsync(Render(report));
        }

        return reports.Count == 0 ? 1 : 0;
    }

    public static string Render(ProxyStatusReport report)
    {
        var rows = new List<string[]> { (string[])["NODE", "MESH", "KIND", .. Types.Select(t => t.ToUpperInvariant()), "LAST ACK", "REPLICA", "STREAM"] };
        foreach (var p in report.Proxies)
        {
            var lastAck = p.Types.Values.Where(t => t.SecondsSinceLastAck is not null).Select(t => t.SecondsSinceLastAck!.Value).DefaultIfEmpty(double.NaN).Min();
            rows.Add([
                p.NodeId,
                p.Mesh ?? "-",
                p.Kind ?? "-",
                .. Types.Select(t => p.Types.TryGetValue(t, out var s) ? s.Sync : "-"),
                double.IsNaN(lastAck) ? "never" : Ago(lastAck),
                p.Replica,
                $"{p.StreamId} ({p.Variant})",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }

        foreach (var p in report.Proxies)
        {
            foreach (var (type, status) in p.Types.Where(t => t.Value.LastNack is not null))
            {
                text.Append(CultureInfo.InvariantCulture, $"NACK    {p.NodeId} {type.ToUpperInvariant()} version {status.LastNack!.Version}: {status.LastNack.Error}");
                text.AppendLine(status.AckedVersion is null ? "" : $" (still on {status.AckedVersion})");
            }

            if (p.Waiting is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"WAITING {p.NodeId}: {p.Waiting}");
            }

            if (p.UnsupportedTypes is { Count: > 0 } unsupported)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"UNSUPPORTED {p.NodeId} asked for types this server does not serve: {string.Join(", ", unsupported)}");
            }

            foreach (var (type, names) in p.Missing ?? new Dictionary<string, IReadOnlyList<string>>())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"MISSING {p.NodeId} asks for {type.ToUpperInvariant()} its configuration does not have: {string.Join(", ", names)}");
            }

            if (p.WarningDetails is { } details)
            {
                foreach (var warning in details)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"WARNING {p.NodeId} {warning.Kind}: {warning.Message}");
                }
            }
            else
            {
                // A replica older than the per-message kinds sends the messages alone.
                foreach (var warning in p.Warnings ?? [])
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"WARNING {p.NodeId}: {warning}");
                }
            }

            if (p.Registration is { } r)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"REGISTRATION {p.NodeId} {r.InstanceId ?? "?"}: {r.State}{(r.Service is null ? "" : $" in {r.Service}")}{(r.Detail is null ? "" : $": {r.Detail}")}");
            }
        }

        foreach (var u in report.Unreachable)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"UNREACHABLE {u.Url}: {u.Error}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{Counted(report.Proxies.Count, "proxy", "proxies")} on {Counted(report.Replicas.Count, "replica", "replicas")} ({string.Join(", ", report.Replicas)})");
        return text.ToString();
    }

    private static string Counted(int count, string one, string many) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many)}");

    private static string Ago(double seconds) => seconds switch
    {
        < 60 => $"{Math.Max(0, Math.Floor(seconds)).ToString(CultureInfo.InvariantCulture)}s ago",
        < 3600 => $"{Math.Floor(seconds / 60).ToString(CultureInfo.InvariantCulture)}m ago",
        _ => $"{Math.Floor(seconds / 3600).ToString(CultureInfo.InvariantCulture)}h ago",
    };
}
