using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.XdsServer.Tests.Observability;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package, which .ci/run installs) scraping the given targets every
/// second, with its HTTP query API on a loopback port.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, string directory, Uri endpoint)
    {
        _process = process;
        _directory = directory;
        Endpoint = endpoint;
        Http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Endpoint { get; }

    public HttpClient Http { get; }

    /// <param name="jobs">Job name → the target's base URI and metrics path.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, Uri> jobs)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-prometheus-").FullName;
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
        foreach (var (job, target) in jobs)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: {job}\n    metrics_path: {target.AbsolutePath}\n    static_configs:\n      - targets: ['{target.Authority}']\n");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config.ToString());
        var endpoint = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[
                     $"--config.file={Path.Combine(directory, "prometheus.yml")}",
                     $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     $"--web.listen-address={endpoint.Authority}",
                     "--log.level=warn"])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("prometheus is not installed: apt-get install prometheus (.ci/run installs it).", e);
        }

        var server = new PrometheusServer(process, directory, endpoint);
        process.OutputDataReceived += (_, e) => server.Record(e.Data);
        process.ErrorDataReceived += (_, e) => server.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilAsync(async () => (await server.Http.GetAsync("/-/ready")).IsSuccessStatusCode, "Prometheus to be ready");
        return server;
    }

    /// <summary>Waits until every target has been scraped successfully at least <paramref name="scrapes"/> times.</summary>
    public async Task WaitForScrapesAsync(int scrapes)
    {
        await WaitUntilAsync(async () =>
        {
            var result = await QueryAsync("min(count_over_time(up[5m]))");
            var all = await QueryAsync("min(up)");
            return result.Count > 0 && all.Count > 0 &&
                   double.Parse(result[0]!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture) >= scrapes &&
                   all[0]!["value"]![1]!.GetValue<string>() == "1";
        }, $"{scrapes} successful scrapes of every target");
    }

    /// <summary>Runs an instant query; fails with Prometheus's own message when the expression is invalid.</summary>
    public async Task<JsonArray> QueryAsync(string expression)
    {
        var response = await Http.PostAsync("/api/v1/query", new FormUrlEncodedContent([new("query", expression)]));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (body["status"]?.GetValue<string>() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused the query ({body["errorType"]}: {body["error"]}):\n{expression}");
        }

        return body["data"]!["result"]!.AsArray();
    }

    /// <summary>The values of a label on the series a selector matches (what Grafana's <c>label_values(selector, label)</c> lists).</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string selector, string label)
    {
        var response = await Http.GetAsync($"/api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(selector)}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (body["status"]?.GetValue<string>() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused label_values({selector}, {label}): {body["error"]}");
        }

        return body["data"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited ({_process.ExitCode}) while waiting for {what}:\n{Output()}");
            }

            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"Waited {StartTimeout.TotalSeconds:0} s for {what}; prometheus said:\n{Output()}");
            }

            await Task.Delay(200);
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
