using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Testing;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.EndToEnd;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Observability;

/// <summary>
/// The Grafana dashboards under <c>deploy/grafana/</c>, checked the way they will be used: a real Prometheus scrapes the
/// API host, the xDS server and a sidecar's stats, and every panel's query and every variable's values must come back
/// with data. A renamed metric or label in the hosts, in the bootstrap's stats tags or in a dashboard fails here.
/// </summary>
/// <remarks>
/// The sidecar is the one part not run for real (no Envoy binary here): its <c>/stats/prometheus</c> is what Envoy shows
/// for the stat names of the listeners and clusters the xDS server sent this node, tagged by the stats tags of the
/// bootstrap the API wrote for it (<see cref="EnvoyStatsExposition"/>).
/// </remarks>
public sealed class GrafanaDashboardTests
{
    private static readonly string Root = typeof(GrafanaDashboardTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>What the test's Prometheus calls each job, and so what each dashboard variable must offer.</summary>
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["mesh"] = "demo",
        ["virtual_node"] = "web",
        ["api_job"] = "mesh-api",
        ["xds_job"] = "mesh-xds",
    };

    [Fact]
    public void EveryDashboardIsWellFormed()
    {
        var dashboards = Dashboards();
        Assert.Equal(["mesh-control-plane.json", "mesh-data-plane.json"], dashboards.Select(d => Path.GetFileName(d.Path)).Order().ToArray());
        foreach (var (path, dashboard) in dashboards)
        {
            var name = Path.GetFileName(path);
            Assert.False(string.IsNullOrEmpty(dashboard["uid"]?.GetValue<string>()), $"{name}: no uid");
            Assert.False(string.IsNullOrEmpty(dashboard["title"]?.GetValue<string>()), $"{name}: no title");
            var panels = dashboard["panels"]!.AsArray().Select(p => p!).ToList();
            Assert.Equal(panels.Count, panels.Select(p => p["id"]!.GetValue<int>()).Distinct().Count());
            var graphs = panels.Where(p => p["type"]!.GetValue<string>() != "row").ToList();
            Assert.True(graphs.Count >= 8, $"{name}: {graphs.Count} panels");
            foreach (var panel in graphs)
            {
                var title = panel["title"]!.GetValue<string>();
                Assert.Equal("${datasource}", panel["datasource"]!["uid"]!.GetValue<string>());
                Assert.False(string.IsNullOrWhiteSpace(panel["description"]?.GetValue<string>()), $"{name} / {title}: no description");
                var targets = panel["targets"]!.AsArray();
                Assert.NotEmpty(targets);
                Assert.Equal(targets.Count, targets.Select(t => t!["refId"]!.GetValue<string>()).Distinct().Count());
                var grid = panel["gridPos"]!;
                Assert.InRange(grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>(), 1, 24);
            }

            // Every variable a query uses is defined by the dashboard (or is one of Grafana's own).
            var defined = dashboard["templating"]!["list"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToHashSet();
            foreach (var expression in Expressions(dashboard))
            {
                foreach (Match used in Regex.Matches(expression, @"\$(\w+)"))
                {
                    Assert.True(defined.Contains(used.Groups[1].Value) || used.Groups[1].Value.StartsWith("__", StringComparison.Ordinal),
                        $"{name}: ${used.Groups[1].Value} is not a variable of the dashboard:\n{expression}");
                }
            }
        }
    }

    [Fact]
    public async Task EveryQuery_ReturnsData_FromARealPrometheusScrapingTheHosts()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var database = await server.CreateDatabaseAsync(TaskTimeouts.Token());
        await using var api = await ApiProcess.StartAsync(database);
        await using var xds = await XdsTestHost.StartAsync(database);
        var aws = new AwsCli(api);
        await aws.AppMeshAsync("create-mesh", "--mesh-name", "demo");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "backend", "--spec",
            """{"listeners":[{"portMapping":{"port":9090,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"backend.demo.local"}}}""");
        await aws.AppMeshAsync("create-virtual-service", "--mesh-name", "demo", "--virtual-service-name", "backend.demo.local", "--spec",
            """{"provider":{"virtualNode":{"virtualNodeName":"backend"}}}""");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "web", "--spec",
            """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"web.demo.local"}},"backends":[{"virtualService":{"virtualServiceName":"backend.demo.local"}}]}""");

        // The sidecar of "web": its bootstrap from the API, its listeners and clusters from the xDS server.
        using var http = new HttpClient();
        var bootstrap = JsonNode.Parse(await http.GetStringAsync(new Uri(api.Endpoint, "/envoy/bootstrap?node=mesh/demo/virtualNode/web&format=json")))!;
        await using var ads = AdsClient.Connect(xds.Channel, "mesh/demo/virtualNode/web");
        var (clusters, listeners) = await ConfigurationOfAsync(ads);
        var sidecar = SidecarStats(bootstrap, clusters, listeners);

        // A change while the proxy is connected, so that a push (and its latency) is recorded.
        await aws.AppMeshAsync("update-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "backend", "--spec",
            """{"listeners":[{"portMapping":{"port":9090,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"backend-v2.demo.local"}}}""");
        await ads.AckAsync(await ads.NextAsync());

        // One call that fails (unsigned), so that the errors panel has a series to show.
        Assert.False((await http.GetAsync(new Uri(api.Endpoint, "/v20190125/meshes/demo"))).IsSuccessStatusCode);
        await using var envoy = await ServeAsync(sidecar);

        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, Uri>
        {
            ["mesh-api"] = new(api.Endpoint, "/metrics"),
            ["mesh-xds"] = new(xds.AdminUri, "/metrics"),
            ["envoy"] = new(envoy.Uri, "/stats/prometheus"),
        });
        await prometheus.WaitForScrapesAsync(4);

        var failures = new List<string>();
        foreach (var (path, dashboard) in Dashboards())
        {
            var name = Path.GetFileName(path);
            foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => v!["type"]!.GetValue<string>() == "query"))
            {
                var variableName = variable!["name"]!.GetValue<string>();
                var definition = Regex.Match(variable["query"]!["query"]!.GetValue<string>(), @"^label_values\((.+),\s*(\w+)\)$");
                Assert.True(definition.Success, $"{name}: variable {variableName} is not label_values(selector, label)");
                var values = await prometheus.LabelValuesAsync(Substitute(definition.Groups[1].Value), definition.Groups[2].Value);
                if (!values.Contains(Variables[variableName]))
                {
                    failures.Add($"{name}: variable {variableName} offers [{string.Join(", ", values)}], not {Variables[variableName]}");
                }
            }

            foreach (var panel in dashboard["panels"]!.AsArray().Where(p => p!["targets"] is not null))
            {
                foreach (var target in panel!["targets"]!.AsArray())
                {
                    var expression = Substitute(target!["expr"]!.GetValue<string>());
                    try
                    {
                        if (!await HasDataAsync(prometheus, expression))
                        {
                            failures.Add($"{name} / {panel["title"]} / {target["refId"]}: no data for\n{expression}");
                        }
                    }
                    catch (InvalidOperationException e)
                    {
                        failures.Add($"{name} / {panel["title"]} / {target["refId"]}: {e.Message}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task ExampleScrapeConfiguration_IsValidForPrometheus()
    {
        var result = await ExternalProcess.RunAsync("promtool", ["check", "config", Path.Combine(Root, "deploy", "grafana", "prometheus.yml")]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void SidecarStats_AreNamedAndTaggedAsEnvoyNamesThem()
    {
        var bootstrap = JsonNode.Parse("""
            {"stats_config":{"stats_tags":[
              {"tag_name":"appmesh.mesh","fixed_value":"demo"},
              {"tag_name":"appmesh.virtual_node","fixed_value":"web"},
              {"tag_name":"appmesh.listener_protocol","regex":"^(?:.*?\\.(?:ingress|egress)\\.|cluster\\.cds_(?:ingress|egress)_.+?_)((http2|http|grpc|tcp)[._])[0-9]+\\."},
              {"tag_name":"appmesh.listener_port","regex":"^(?:.*?\\.(?:ingress|egress)\\.(?:http2|http|grpc|tcp)\\.|cluster\\.cds_(?:ingress|egress)_.+?_(?:http2|http|grpc|tcp)_)(([0-9]+)\\.)"}]}}
            """)!;
        var stats = new EnvoyStatsExposition(bootstrap);

        var (name, labels) = stats.Tagged("http.ingress.http.8080.downstream_rq_2xx");
        Assert.Equal("envoy_http_downstream_rq_xx", name);
        Assert.Equal(
            ["appmesh_listener_port=8080", "appmesh_listener_protocol=http", "appmesh_mesh=demo", "appmesh_virtual_node=web", "envoy_http_conn_manager_prefix=ingress", "envoy_response_code_class=2"],
            labels.Select(l => $"{l.Name}={l.Value}").Order().ToArray());

        // A cluster stat keeps its whole cluster name as a tag; the protocol and port cut from inside it leave the name as it is.
        (name, labels) = stats.Tagged("cluster.cds_egress_demo_backend_http_9090.upstream_rq_total");
        Assert.Equal("envoy_cluster_upstream_rq_total", name);
        Assert.Contains(("envoy_cluster_name", "cds_egress_demo_backend_http_9090"), labels);
    }

    private static EnvoyStatsExposition SidecarStats(JsonNode bootstrap, IReadOnlyList<Cluster> clusters, IReadOnlyList<Listener> listeners)
    {
        var stats = new EnvoyStatsExposition(bootstrap);
        foreach (var name in (string[])["server.live", "control_plane.connected_state"])
        {
            stats.AddGauge(name);
        }

        foreach (var name in (string[])["cluster_manager.cds.update_rejected", "listener_manager.lds.update_rejected"])
        {
            stats.AddCounter(name);
        }

        var prefixes = listeners.SelectMany(l => l.FilterChains).SelectMany(c => c.Filters)
            .Where(f => f.TypedConfig?.Is(HttpConnectionManager.Descriptor) == true)
            .Select(f => f.TypedConfig.Unpack<HttpConnectionManager>().StatPrefix).Distinct().ToList();
        // "ingress" and "egress", or "ingress.<protocol>.<port>" for each listener of a node with several.
        Assert.Contains(prefixes, p => p.Split('.')[0] == "ingress");
        Assert.Contains(prefixes, p => p.Split('.')[0] == "egress");
        foreach (var prefix in prefixes)
        {
            foreach (var counter in (string[])["downstream_rq_total", "downstream_rq_2xx", "downstream_rq_5xx"])
            {
                stats.AddCounter($"http.{prefix}.{counter}");
            }

            stats.AddHistogram($"http.{prefix}.downstream_rq_time");
        }

        foreach (var cluster in clusters.Select(c => c.Name).Where(n => n.StartsWith("cds_", StringComparison.Ordinal)))
        {
            foreach (var counter in (string[])["upstream_rq_total", "upstream_rq_2xx", "upstream_rq_5xx", "upstream_rq_retry", "upstream_rq_timeout"])
            {
                stats.AddCounter($"cluster.{cluster}.{counter}");
            }

            foreach (var gauge in (string[])["membership_healthy", "membership_total", "outlier_detection.ejections_active"])
            {
                stats.AddGauge($"cluster.{cluster}.{gauge}");
            }

            stats.AddHistogram($"cluster.{cluster}.upstream_rq_time");
        }

        return stats;
    }

    /// <summary>
    /// Whether the query returns a series within a few scrapes. An instant query of a gauge has no data while the
    /// target's latest scrape is missing (a fresh-clone run once found only the one gauge panel empty, every rate over
    /// the same target full), so it is asked again before it counts as a failure.
    /// </summary>
    private static async Task<bool> HasDataAsync(PrometheusServer prometheus, string expression)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if ((await prometheus.QueryAsync(expression)).Count > 0)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        return false;
    }

    private static async Task<(IReadOnlyList<Cluster> Clusters, IReadOnlyList<Listener> Listeners)> ConfigurationOfAsync(AdsClient ads)
    {
        IReadOnlyList<Cluster> clusters = [];
        await Eventually.TrueAsync(async () =>
        {
            await ads.SendAsync(TypeUrls.Cluster);
            var response = await ads.NextAsync();
            clusters = AdsClient.Unpack<Cluster>(response);
            await ads.AckAsync(response);
            return clusters.Any(c => c.Name.StartsWith("cds_egress_demo_backend", StringComparison.Ordinal));
        });

        await ads.SendAsync(TypeUrls.Listener);
        var response = await ads.NextAsync();
        await ads.AckAsync(response);
        return (clusters, AdsClient.Unpack<Listener>(response));
    }

    private static async Task<StatsEndpoint> ServeAsync(EnvoyStatsExposition stats)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/stats/prometheus", () => Results.Text(stats.Render(), "text/plain; version=0.0.4"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new StatsEndpoint(app, new Uri(address));
    }

    private static string Substitute(string expression)
    {
        var result = expression.Replace("$__rate_interval", "10s", StringComparison.Ordinal);
        foreach (var (name, value) in Variables)
        {
            result = result.Replace("$" + name, value, StringComparison.Ordinal);
        }

        return result;
    }

    private static IEnumerable<string> Expressions(JsonNode dashboard) =>
        dashboard["panels"]!.AsArray().Where(p => p!["targets"] is not null)
            .SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>())
            .Concat(dashboard["templating"]!["list"]!.AsArray().Where(v => v!["type"]!.GetValue<string>() == "query").Select(v => v!["query"]!["query"]!.GetValue<string>()));

    private static List<(string Path, JsonNode Dashboard)> Dashboards() =>
        Directory.GetFiles(Path.Combine(Root, "deploy", "grafana"), "*.json").Order()
            .Select(path => (path, JsonNode.Parse(File.ReadAllText(path))!)).ToList();

    private sealed record StatsEndpoint(WebApplication App, Uri Uri) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
