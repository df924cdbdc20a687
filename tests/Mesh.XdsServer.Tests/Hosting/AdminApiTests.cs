using System.Net;
using System.Net.Http.Json;
using Mesh.Testing;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Hosting;

public sealed class AdminApiTests
{
    [Fact]
    public async Task Healthz_Reports_Ok_And_The_Server_State()
    {
        await using var host = await XdsTestHost.StartAsync();

        var response = await host.Admin.GetAsync("/healthz").DefaultTimeout();
        var report = await response.Content.ReadFromJsonAsync<HealthReport>().DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", report!.Status);
        Assert.Equal("disabled", report.Feed);
    }

    [Fact]
    public async Task Before_The_First_Load_It_Is_Live_But_Not_Ready()
    {
        // Nothing listens on port 1: the feed cannot load, as when PostgreSQL is not up yet.
        await using var host = await XdsTestHost.StartAsync("Host=127.0.0.1;Port=1;Database=mesh;Username=mesh;Timeout=1");

        var live = await host.Admin.GetAsync("/healthz").DefaultTimeout();
        var ready = await host.Admin.GetAsync("/readyz").DefaultTimeout();
        var report = await ready.Content.ReadFromJsonAsync<HealthReport>().DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("starting", report!.Status);
        Assert.NotEqual("live", report.Feed);
    }

    [Fact]
    public async Task Metrics_Time_Pushes_And_Snapshot_Builds_And_Count_Connected_Proxies()
    {
        await using var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        const string V2Endpoints = "cds_proxyless_demo_api-v2_http_9080";
        await client.SendAsync(TypeUrls.Endpoint, [V2Endpoints]);
        await client.AckAsync(await client.NextAsync(), [V2Endpoints]);
        await host.ProcessedAsync(TypeUrls.Endpoint, V2Endpoints, Envoy.Admin.V3.ClientResourceStatus.Acked);
        Assert.Equal(0, host.Metrics.PushLatency.Count); // the first answer is a reply to a request, not a push

        var changed = mesh.Node("api-v2", "127.0.0.9", 9080);
        host.Producer.SetMesh(changed.Key, changed.Graph);
        await client.NextAsync();
        await Eventually.TrueAsync(() => host.Metrics.PushLatency.Count == 1);

        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        Assert.Equal("histogram", PrometheusText.TypeOf(text, "mesh_xds_push_latency_seconds"));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_push_latency_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_push_latency_seconds_count"));
        Assert.Equal(2, PrometheusText.Value(text, "mesh_xds_snapshot_build_seconds_count")); // the first snapshot and the changed one
        Assert.Equal("gauge", PrometheusText.TypeOf(text, "mesh_xds_connected_proxies"));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_connected_proxies"));
    }

    [Fact]
    public async Task Translation_Warnings_Are_Counted_And_Shown_By_Kind()
    {
        await using var host = await XdsTestHost.StartAsync();
        // web calls a virtual service that does not exist, and one whose router has no route yet.
        var mesh = MeshRows.Demo()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "ghost.demo.local", "empty.demo.local")
            .Router("empty", 8080)
            .ServiceByRouter("empty.demo.local", "empty");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.NextAsync();
        await Eventually.TrueAsync(() => host.Metrics.Sum("mesh_xds_translation_warnings_total") == 2);

        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        foreach (var name in new[] { "mesh_xds_translation_warnings_total", "mesh_xds_translation_warnings_standing" })
        {
            Assert.Equal(1, PrometheusText.Value(text, name, ("kind", "missing_resource")));
            Assert.Equal(1, PrometheusText.Value(text, name, ("kind", "no_route")));
            Assert.Equal(0, PrometheusText.Value(text, name, ("kind", "unknown_registry_service")));
        }

        var status = await host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options).DefaultTimeout();
        var web = Assert.Single(status!.Proxies);
        Assert.Equal(new Dictionary<string, int> { ["missing_resource"] = 1, ["no_route"] = 1 }, web.WarningKinds);
        Assert.Contains(web.Warnings!, w => w.Contains("virtualService/ghost.demo.local does not exist", StringComparison.Ordinal));

        // Each message with its kind, in the order of warnings (which keeps its plain messages for older readers).
        Assert.Equal(web.Warnings, web.WarningDetails!.Select(d => d.Message));
        var ghost = Assert.Single(web.WarningDetails!, d => d.Message.Contains("virtualService/ghost.demo.local does not exist", StringComparison.Ordinal));
        var empty = Assert.Single(web.WarningDetails!, d => d.Message.Contains("no route of virtualRouter/empty", StringComparison.Ordinal));
        Assert.Equal("missing_resource", ghost.Kind);
        Assert.Equal("no_route", empty.Kind);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await host.Admin.GetStringAsync("/proxy-status").DefaultTimeout())!["proxies"]![0]!;
        Assert.Equal(["missing_resource", "no_route"], json["warningDetails"]!.AsArray().Select(d => (string)d!["kind"]!).Order(StringComparer.Ordinal));
        Assert.Equal(web.Warnings, json["warningDetails"]!.AsArray().Select(d => (string)d!["message"]!));

        var lines = ProxyStatusCommand.Render(status).Split('\n');
        Assert.Contains($"WARNING {MeshRows.NodeId("web")} missing_resource: {ghost.Message}", lines);
        Assert.Contains($"WARNING {MeshRows.NodeId("web")} no_route: {empty.Message}", lines);
        // An older replica's report has the messages only.
        Assert.Contains($"WARNING {MeshRows.NodeId("web")}: {ghost.Message}", ProxyStatusCommand.Render(status with { Proxies = [web with { WarningDetails = null }] }).Split('\n'));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public async Task Kestrels_Memory_Pool_Is_In_The_Metrics_Unless_Turned_Off(string? setting, bool exported)
    {
        // Kestrel's own pool buffers the sockets only with Xds:KestrelBuffers=Pinned; the default heap pool is counted
        // in mesh_xds_kestrel_blocks_* and mesh_xds_kestrel_block_bytes instead (KestrelBuffersTests).
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            [XdsTelemetry.KestrelMemoryPoolSetting] = setting,
            ["Xds:KestrelBuffers"] = "Pinned",
        });
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.NextAsync(); // the gRPC connection has rented and returned pool blocks by now
        await host.Admin.GetStringAsync("/metrics").DefaultTimeout(); // the exporter's first scrape starts its collection

        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        Assert.Equal(exported, text.Contains("aspnetcore_memory_pool_", StringComparison.Ordinal));
        Assert.Contains("mesh_xds_connected_proxies", text, StringComparison.Ordinal);
        if (exported)
        {
            // Summed by the server's own listener (KestrelPoolTotals) and exported once, under Kestrel's names.
            Assert.Single(text.Split('\n'), l => l.StartsWith("aspnetcore_memory_pool_pooled_bytes{", StringComparison.Ordinal) && l.Contains("owner=\"kestrel\"", StringComparison.Ordinal));
            var rented = text.Split('\n').Single(l => l.StartsWith("aspnetcore_memory_pool_rented_bytes_total{", StringComparison.Ordinal) && l.Contains("owner=\"kestrel\"", StringComparison.Ordinal));
            Assert.True(double.Parse(rented[(rented.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 0, rented);
            Assert.Contains("aspnetcore_memory_pool_allocated_bytes_total{", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_Time_The_Reads_From_PostgreSQL()
    {
        var server = await Mesh.Testing.PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString);
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<Mesh.XdsServer.Feed.FeedStatus>().Loaded);
        var atStart = host.Metrics.DatabaseQuery.Count; // the first load: the log's end, its window, the meshes

        var mesh = MeshRows.Demo("timed-mesh");
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await Eventually.TrueAsync(() => host.Producer.Meshes.Contains(mesh.Key));

        Assert.True(atStart >= 3, $"{atStart} reads timed at start");
        Assert.True(host.Metrics.DatabaseQuery.Count >= atStart + 2, "reading the change and then the mesh are timed");
        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        Assert.Equal("histogram", PrometheusText.TypeOf(text, "mesh_xds_database_query_seconds"));
        Assert.True(PrometheusText.Value(text, "mesh_xds_database_query_seconds_count") >= atStart + 2, text);
    }

    [Fact]
    public async Task Metrics_Are_Prometheus_Text_And_Count_The_Protocol()
    {
        await using var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.NackAsync(await client.NextAsync(), "", "nope");
        await host.ProcessedAsync(TypeUrls.Cluster, "cds_ingress_demo_web_http_8080", Envoy.Admin.V3.ClientResourceStatus.Nacked);

        var response = await host.Admin.GetAsync("/metrics").DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync().DefaultTimeout();

        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("counter", PrometheusText.TypeOf(text, "mesh_xds_nacks_total"));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_nacks_total", ("type", "cds")));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_responses_total", ("type", "cds"), ("variant", "sotw")));
        Assert.Equal("gauge", PrometheusText.TypeOf(text, "mesh_xds_streams"));
        Assert.Equal(1, PrometheusText.Value(text, "mesh_xds_streams"));
    }

    [Fact]
    public async Task Shutdown_Ends_Open_Streams_So_Proxies_Reconnect_Elsewhere()
    {
        var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress(host.GrpcUri); // outlives the host
        var client = AdsClient.Connect(channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener);
        await client.NextAsync();

        var stopping = host.DisposeAsync().AsTask();

        // The server ends the stream as it stops, rather than waiting for the proxy to go away.
        var closed = await client.ClosedAsync();
        Assert.NotEqual(Grpc.Core.StatusCode.OK, closed.StatusCode);

        // The proxy then goes elsewhere, closing its connection; Kestrel's graceful stop waits for that, not for
        // the stream, which has already ended.
        await client.DisposeAsync();
        channel.Dispose();
        await stopping.DefaultTimeout();
    }

    [Fact]
    public async Task Every_Counter_The_Readme_Lists_Exists_From_The_Start_And_Promtool_Accepts_The_Metrics()
    {
        await using var host = await XdsTestHost.StartAsync();

        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        await Promtool.AssertValidAsync(text);
        foreach (var (name, labels) in new (string, (string, string)[])[]
        {
            ("mesh_xds_responses_total", [("type", "lds"), ("variant", "sotw")]), ("mesh_xds_responses_total", [("type", "eds"), ("variant", "delta")]),
            ("mesh_xds_acks_total", [("type", "cds")]), ("mesh_xds_nacks_total", [("type", "rds")]), ("mesh_xds_nacks_total", [("type", "sds")]),
            ("mesh_xds_feed_changes_total", []), ("mesh_xds_feed_errors_total", []),
            ("mesh_xds_snapshots_built_total", []), ("mesh_xds_snapshots_rejected_total", []), ("mesh_xds_mesh_graphs_rejected_total", []),
            ("mesh_xds_identities_rebuilt_total", []), ("mesh_xds_identities_skipped_total", []), ("mesh_xds_mesh_loads_total", []),
            ("mesh_xds_streams_opened_total", [("variant", "ads-delta")]), ("mesh_xds_streams_opened_total", [("variant", "eds")]), ("mesh_xds_streams_rejected_total", [("reason", "bad_node_id")]),
            ("mesh_xds_streams_rejected_total", [("reason", "no_type_url")]), ("mesh_xds_unsupported_type_requests_total", []),
            ("mesh_xds_translation_warnings_total", [("kind", "unknown_registry_service")]),
            ("mesh_xds_proxyless_translation_warnings_total", [("kind", "certificate_undeliverable")]),
        })
        {
            Assert.True(PrometheusText.Value(text, name, labels) == 0, $"{name} {string.Join(",", labels)} is not at zero in:\n{text}");
            Assert.Equal("counter", PrometheusText.TypeOf(text, name));
        }

        foreach (var metric in new[] { "process_cpu_time_seconds_total", "process_memory_usage_bytes", "process_open_fds", "process_threads", "dotnet_gc_collections_total", "dotnet_gc_heap_total_allocated_bytes_total" })
        {
            Assert.Contains($"\n# TYPE {metric} ", text, StringComparison.Ordinal);
        }
    }
}
