using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Tests.Support;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.ProxyStatus;

/// <summary>
/// Proxy status (istioctl proxy-status): GET /proxy-status on the admin port and the proxy-status command list
/// every connected proxy with its resource, the ACKed version per type, the last NACK and its error, and how
/// long ago it last ACKed; a replica merges the replicas named in Xds:ProxyStatus:Peers.
/// </summary>
public sealed class ProxyStatusTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private XdsTestHost _host = null!;
    private AdsClient _web = null!;
    private AdsClient _api = null!;
    private AdsClient _ghost = null!;
    private Envoy.Service.Discovery.V3.DiscoveryResponse _webCds = null!;
    private Envoy.Service.Discovery.V3.DiscoveryResponse _apiCds = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Xds:ProxyStatus:ReplicaId"] = "xds-a", ["Logging:LogLevel:Mesh.XdsServer.Protocol"] = "Information" },
            services: s => s.AddSingleton<ILoggerProvider>(_logs));
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);

        _web = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await _web.SendAsync(TypeUrls.Cluster);
        _webCds = await _web.NextAsync();
        await _web.AckAsync(_webCds);

        _api = AdsClient.Connect(_host.Channel, MeshRows.NodeId("api-v1"));
        await _api.SendAsync(TypeUrls.Cluster);
        _apiCds = await _api.NextAsync();
        await _api.NackAsync(_apiCds, "", "cds_egress_demo_web: unknown field");

        _ghost = AdsClient.Connect(_host.Channel, MeshRows.NodeId("ghost"));
        await _ghost.SendAsync(TypeUrls.Cluster);

        await _host.ProcessedAsync(TypeUrls.Cluster, _apiCds.Resources[0].Unpack<Envoy.Config.Cluster.V3.Cluster>().Name, Envoy.Admin.V3.ClientResourceStatus.Nacked);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Identity is not null) == 3
            && _host.Streams.Streams.Single(s => s.Identity?.Name == "web").Resources.Values.All(r => r.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked));
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        await _api.DisposeAsync();
        await _ghost.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task The_Endpoint_Lists_Synced_Nacked_And_Waiting_Proxies()
    {
        var report = await ReportAsync();
        Assert.NotNull(report);
        Assert.Equal(["xds-a"], report.Replicas);
        Assert.Empty(report.Unreachable);
        Assert.Equal([MeshRows.NodeId("api-v1"), MeshRows.NodeId("ghost"), MeshRows.NodeId("web")], report.Proxies.Select(p => p.NodeId));

        var web = report.Proxies.Single(p => p.Name == "web");
        Assert.Equal("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", web.Resource);
        Assert.Equal(("demo", "virtualNode", "ads", "xds-a"), (web.Mesh, web.Kind, web.Variant, web.Replica));
        var webCds = web.Types["cds"];
        Assert.Equal("SYNCED", webCds.Sync);
        Assert.Equal((4, 4), (webCds.Resources, webCds.Acked));
        Assert.Equal(_webCds.VersionInfo, webCds.AckedVersion);
        Assert.NotNull(webCds.LastAck);
        Assert.True(webCds.SecondsSinceLastAck >= 0);
        Assert.Null(webCds.LastNack);
        Assert.Null(web.Waiting);

        var apiCds = report.Proxies.Single(p => p.Name == "api-v1").Types["cds"];
        Assert.Equal("NACKED", apiCds.Sync);
        Assert.Equal(0, apiCds.Acked);
        Assert.Null(apiCds.LastAck);
        Assert.NotNull(apiCds.LastNack);
        Assert.Equal(_apiCds.VersionInfo, apiCds.LastNack.Version);
        Assert.Equal("code 3: cds_egress_demo_web: unknown field", apiCds.LastNack.Error);

        var ghost = report.Proxies.Single(p => p.Name == "ghost");
        Assert.Contains("ghost", ghost.Waiting);
        Assert.Equal("NOT_SENT", ghost.Types["cds"].Sync);
    }

    [Fact]
    public async Task A_Type_Answered_With_No_Resources_Is_Synced_Once_Acked_Not_Unsent()
    {
        // A gateway with no gateway routes gets an empty CDS: sent and ACKed, it is in sync, over SotW and delta alike.
        var mesh = MeshRows.Demo().Gateway("edge");
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        const string edge = "mesh/demo/virtualGateway/edge";
        await using var sotw = AdsClient.Connect(_host.Channel, edge);
        await sotw.SendAsync(TypeUrls.Cluster);
        var cds = await sotw.NextAsync();
        Assert.Empty(cds.Resources);
        await using var delta = DeltaAdsClient.Connect(_host.Channel, edge);
        await delta.SendAsync(TypeUrls.Cluster);
        var deltaCds = await delta.NextAsync();
        Assert.Empty(deltaCds.Resources);

        ProxyStatusEntry[] Edges(ProxyStatusReport report) => [.. report.Proxies.Where(p => p.NodeId == edge).OrderBy(p => p.Variant, StringComparer.Ordinal)];
        var sent = await ReportAsync();
        Assert.All(Edges(sent!), p => Assert.Equal("STALE", p.Types["cds"].Sync));

        await sotw.AckAsync(cds);
        await delta.AckAsync(deltaCds);
        ProxyStatusReport? acked = null;
        await Eventually.TrueAsync(async () =>
        {
            acked = await _host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token());
            return Edges(acked!).Length == 2 && Edges(acked!).All(p => p.Types["cds"].Sync == "SYNCED");
        });
        var sotwCds = Edges(acked!).Single(p => p.Variant == "ads").Types["cds"];
        Assert.Equal((0, 0), (sotwCds.Resources, sotwCds.Acked));
        Assert.Equal(cds.VersionInfo, sotwCds.AckedVersion);
        Assert.NotNull(sotwCds.LastAck);
    }

    [Fact]
    public async Task A_Delta_Subscription_Told_Its_Names_Do_Not_Exist_Is_Not_Sent_And_Missing_Names_Are_No_Resources()
    {
        // As over SotW, which sends nothing for them: names told missing (delta's removed_resources) are not in sync.
        const string missing = "nonexistent_cla", listener = "new.demo.local";
        var existing = _host.Cache.Current(new Mesh.Model.Identity.ProxyIdentity(MeshRows.Demo().Key, Mesh.Model.Identity.ProxyKind.VirtualNode, "web"))![TypeUrls.Endpoint].All.First().Name;
        await using var delta = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await delta.SendAsync(TypeUrls.Endpoint, subscribe: [missing]);
        var eds = await delta.NextAsync();
        Assert.Equal([missing], eds.RemovedResources);
        await delta.SendAsync(TypeUrls.Listener, subscribe: [listener]);
        var lds = await delta.NextAsync();
        Assert.Equal([listener], lds.RemovedResources);

        async Task<ProxyStatusEntry> StatusAsync() => (await ReportAsync()).Proxies.Single(p => p.Variant == "ads-delta");
        var sent = await StatusAsync();
        Assert.Equal(new TypeStatus("NOT_SENT", 0, 0, null, null, null, null), sent.Types["eds"]);
        Assert.Equal(new TypeStatus("NOT_SENT", 0, 0, null, null, null, null), sent.Types["lds"]);

        // What it asks for that does not exist is named, logged and counted (once per name).
        Assert.Equal([missing], sent.Missing!["eds"]);
        Assert.Equal([listener], sent.Missing!["lds"]);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_missing_resources_requested_total", "type=\"lds\""));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_missing_resources_requested_total", "type=\"eds\""));

        var acks = _host.Metrics.Get("mesh_xds_acks_total", "type=\"lds\"");
        await delta.AckAsync(eds);
        await delta.AckAsync(lds);
        await Eventually.TrueAsync(() => _host.Metrics.Get("mesh_xds_acks_total", "type=\"lds\"") > acks);
        var acked = await StatusAsync();
        Assert.Equal(new TypeStatus("NOT_SENT", 0, 0, null, null, null, null), acked.Types["eds"]);
        Assert.Equal(new TypeStatus("NOT_SENT", 0, 0, null, null, null, null), acked.Types["lds"]);

        // Beside one that exists, a missing name is not counted as a resource.
        await delta.SendAsync(TypeUrls.Endpoint, subscribe: [existing]);
        await delta.AckAsync(await delta.NextAsync());
        await _host.ProcessedAsync(TypeUrls.Endpoint, existing, Envoy.Admin.V3.ClientResourceStatus.Acked);
        var both = (await StatusAsync()).Types["eds"];
        Assert.Equal(("SYNCED", 1, 1), (both.Sync, both.Resources, both.Acked));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_missing_resources_requested_total", "type=\"eds\""));
    }

    [Fact]
    public async Task A_Delta_Removal_Of_A_Named_Resource_The_Client_Held_Is_No_Missing_Name_Logged_Or_Counted()
    {
        // A push that removes what an Envoy still names (until its other updates land) reaches every such proxy: an
        // ordinary removal, not a name asked for that never existed, so not one line per proxy.
        const string assignment = "cds_proxyless_demo_api-v2_http_9080";
        await using var delta = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await delta.SendAsync(TypeUrls.Endpoint, subscribe: [assignment]);
        var eds = await delta.NextAsync();
        Assert.Equal([assignment], eds.Resources.Select(r => r.Name));
        await delta.AckAsync(eds);
        await _host.ProcessedAsync(TypeUrls.Endpoint, assignment, Envoy.Admin.V3.ClientResourceStatus.Acked);

        var mesh = MeshRows.Demo().HttpRoute("api-router", "default", "/", ("api-v1", 100)).Delete("virtualNode", "", "api-v2");
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var removal = await delta.NextAsync();

        Assert.Equal([assignment], removal.RemovedResources);
        Assert.Equal(0, _host.Metrics.Get("mesh_xds_missing_resources_requested_total", "type=\"eds\""));
        Assert.DoesNotContain(_logs.Entries, e => e.Event.Id == 39);
    }

    [Fact]
    public async Task A_Sotw_Client_Asking_For_A_Listener_That_Does_Not_Exist_Is_Shown_Logged_And_Counted_Once()
    {
        // A proxyless client dialling xds:///nope.demo.local:8080, a name none of web's backends has: gRPC fails the
        // channel with "does not exist", and only the server can say which name its node lacks.
        await using var grpc = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        grpc.UserAgentName = "gRPC Node Pure JS";
        await grpc.SendAsync(TypeUrls.Listener, ["nope.demo.local:8080"]);
        var lds = await grpc.NextAsync();
        Assert.Empty(lds.Resources);
        await grpc.SendAsync(TypeUrls.Listener, ["api.demo.local:9080", "nope.demo.local:8080"], version: lds.VersionInfo, nonce: lds.Nonce);
        lds = await grpc.NextAsync();
        Assert.Single(lds.Resources);

        async Task<ProxyStatusEntry> StatusAsync() => (await ReportAsync()).Proxies.Single(p => p.Variant == "ads" && p.Types.ContainsKey("lds"));
        Assert.Equal(["nope.demo.local:8080"], (await StatusAsync()).Missing!["lds"]);
        var report = await ReportAsync();
        Assert.Contains("MISSING mesh/demo/virtualNode/web asks for LDS its configuration does not have: nope.demo.local:8080", ProxyStatusCommand.Render(report));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_missing_resources_requested_total", "type=\"lds\""));
        var logged = Assert.Single(_logs.Entries, e => e.Event.Id == 39);
        Assert.Matches(
            @"^Stream \d+ \(111122223333:mesh/demo/virtualNode/web\) asks for lds nope\.demo\.local:8080, which its configuration does not have; a proxyless gRPC client's target \(xds:///name\[:port\]\) must be a virtual service among the node's backends",
            logged.Message);

        // Once it no longer asks for it, nothing is missing.
        await grpc.SendAsync(TypeUrls.Listener, ["api.demo.local:9080"], version: lds.VersionInfo, nonce: lds.Nonce);
        await Eventually.TrueAsync(async () => (await StatusAsync()).Missing is null);
    }

    [Fact]
    public async Task What_Only_gRPC_Misses_Is_Shown_To_gRPC_Streams_And_Counted_Apart()
    {
        var certificateUndeliverable = XdsMetrics.KindLabel(WarningKind.CertificateUndeliverable);
        // A STRICT grpc listener with an SDS certificate: its Envoy serves it, xDS-enabled gRPC servers are not offered it.
        var mesh = MeshRows.Demo().Put("virtualNode", "", "grpc-api", """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"sds":{"secretName":"spiffe://demo/api"}}}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.9"}}}""");
        var warningsBefore = _host.Metrics.Sum("mesh_xds_translation_warnings_total");
        var proxylessBefore = _host.Metrics.Get("mesh_xds_proxyless_translation_warnings_total", certificateUndeliverable);
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var envoy = AdsClient.Connect(_host.Channel, MeshRows.NodeId("grpc-api"));
        envoy.UserAgentName = "envoy";
        await envoy.SendAsync(TypeUrls.Cluster);
        await envoy.NextAsync();
        await using var grpc = AdsClient.Connect(_host.Channel, MeshRows.NodeId("grpc-api"));
        grpc.UserAgentName = "gRPC Node Pure JS";
        await grpc.SendAsync(TypeUrls.Listener, ["grpc/server?xds.resource.listening_address=0.0.0.0:50051"]);
        await grpc.NextAsync();

        var report = await ReportAsync();
        var streams = report!.Proxies.Where(p => p.Name == "grpc-api").ToList();
        Assert.Equal(2, streams.Count);
        const string notOffered = "virtualNode/grpc-api listener 50051: proxyless gRPC servers are not offered its listener, so they do not serve on it: it is STRICT, and its certificate is SDS, and gRPC servers take file certificates only";
        var server = streams.Single(p => p.Types.ContainsKey("lds"));
        Assert.Contains(notOffered, server.Warnings ?? []);
        Assert.Equal(new WarningDetail("certificate_undeliverable", notOffered), Assert.Single(server.WarningDetails ?? [], d => d.Message == notOffered));
        // It was answered (LDS is full state), but without the listener it named: not in sync, still waiting.
        Assert.Equal("NOT_SENT", server.Types["lds"].Sync);
        Assert.DoesNotContain(notOffered, streams.Single(p => p.Types.ContainsKey("cds")).Warnings ?? []);
        Assert.Equal(new Dictionary<string, int> { ["certificate_undeliverable"] = 1 }, server.WarningKinds);
        Assert.Equal(warningsBefore, _host.Metrics.Sum("mesh_xds_translation_warnings_total"));
        Assert.True(_host.Metrics.Get("mesh_xds_proxyless_translation_warnings_total", certificateUndeliverable) > proxylessBefore);
    }

    [Fact]
    public async Task The_Grpc_Port_Does_Not_Serve_Proxy_Status()
    {
        using var h2c = new HttpClient { BaseAddress = _host.GrpcUri, DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await h2c.GetAsync("/proxy-status", TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        using var admin = await _host.Admin.GetAsync("/proxy-status", TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal(System.Net.HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task The_Command_Prints_A_Table_With_The_Nack_And_The_Waiting_Proxy()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ProxyStatusCommand.RunAsync(["--url", _host.AdminUri.ToString()], output, error, TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal(0, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NODE", lines[0]);
        Assert.Matches(@"^mesh/demo/virtualNode/web\s+demo\s+virtualNode\s+SYNCED\s+-\s+-\s+-\s+\d+s ago\s+xds-a\s+\d+ \(ads\)$", lines.Single(l => l.StartsWith(MeshRows.NodeId("web"), StringComparison.Ordinal)));
        Assert.Matches(@"^mesh/demo/virtualNode/api-v1\s+demo\s+virtualNode\s+NACKED\s+-\s+-\s+-\s+never\s+xds-a", lines.Single(l => l.StartsWith(MeshRows.NodeId("api-v1"), StringComparison.Ordinal)));
        Assert.Contains($"NACK    mesh/demo/virtualNode/api-v1 CDS version {_apiCds.VersionInfo}: code 3: cds_egress_demo_web: unknown field", lines);
        Assert.Contains(lines, l => l.StartsWith("WAITING mesh/demo/virtualNode/ghost: ", StringComparison.Ordinal));
        Assert.Equal("3 proxies on 1 replica (xds-a)", lines[^1].TrimEnd());
        Assert.Equal("", error.ToString());

        using var json = new StringWriter();
        Assert.Equal(0, await ProxyStatusCommand.RunAsync(["--url", _host.AdminUri.ToString(), "--json"], json, error, TaskTimeouts.Token()).DefaultTimeout());
        var parsed = System.Text.Json.JsonSerializer.Deserialize<ProxyStatusReport>(json.ToString(), ProxyStatusJson.Options)!;
        Assert.Equal(3, parsed.Proxies.Count);
    }

    [Fact]
    public async Task A_Replica_Merges_Its_Peers_And_Names_The_Unreachable_Ones()
    {
        await using var other = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:ProxyStatus:ReplicaId"] = "xds-b",
            ["Xds:ProxyStatus:Peers:0"] = _host.AdminUri.ToString(),
            ["Xds:ProxyStatus:Peers:1"] = "http://127.0.0.1:1",
        });
        var mesh = MeshRows.Demo();
        other.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var web2 = AdsClient.Connect(other.Channel, MeshRows.NodeId("web"));
        await web2.SendAsync(TypeUrls.Listener);
        await web2.AckAsync(await web2.NextAsync());
        await Eventually.TrueAsync(() => other.Streams.Streams.Any(s => s.Resources.Values.Any(r => r.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked)));

        var report = await other.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token()).DefaultTimeout();
        Assert.NotNull(report);
        Assert.Equal(["xds-b", "xds-a"], report.Replicas);
        Assert.Equal(4, report.Proxies.Count);
        Assert.Equal(["xds-a", "xds-b"], report.Proxies.Where(p => p.Name == "web").Select(p => p.Replica));
        Assert.Equal("SYNCED", report.Proxies.Single(p => p.Replica == "xds-b").Types["lds"].Sync);
        Assert.Equal("http://127.0.0.1:1", Assert.Single(report.Unreachable).Url);

        // Asked directly, several replicas are each asked for their own streams only: no duplicates.
        using var output = new StringWriter();
        var exit = await ProxyStatusCommand.RunAsync(["--url", _host.AdminUri.ToString(), "--url", other.AdminUri.ToString()], output, TextWriter.Null, TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal(0, exit);
        Assert.EndsWith("4 proxies on 2 replicas (xds-a, xds-b)", output.ToString().TrimEnd());
    }

    /// <summary>
    /// A peer whose report leaves out a member the records never leave null (here a proxy's nodeId) is named
    /// unreachable: read as it was, the merged report held the null, which writing it with the records' annotations
    /// respected (ProxyStatusJson) refused, and <c>/proxy-status</c> answered 500.
    /// </summary>
    [Fact]
    public async Task A_Peer_Whose_Report_Leaves_Out_A_Proxys_NodeId_Is_Named_Unreachable()
    {
        var (peerUrl, unreachable) = await UnreachablePeerAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"generatedAt": "2026-12-07T00:00:00Z", "replicas": ["old"], "proxies": [{"replica": "old", "streamId": 1, "variant": "ads", "types": {}}], "unreachable": []}""");
        });

        Assert.Equal(peerUrl, unreachable.Url);
        Assert.Equal("its report holds null at proxies[0].nodeId", unreachable.Error);
    }

    /// <summary>
    /// A peer whose answer names a character set .NET does not know (something other than an xDS replica behind a peer
    /// URL) is named unreachable, as one answering another body that is no report is: reading it threw an
    /// InvalidOperationException, which the peer's read did not catch, and <c>/proxy-status</c> answered 500.
    /// </summary>
    [Fact]
    public async Task A_Peer_Answering_An_Unknown_Charset_Is_Named_Unreachable()
    {
        var (peerUrl, unreachable) = await UnreachablePeerAsync(async context =>
        {
            context.Response.ContentType = "application/json; charset=no-such-charset";
            await context.Response.WriteAsync("""{"generatedAt": "2026-12-07T00:00:00Z", "replicas": ["odd"], "proxies": [], "unreachable": []}""");
        });

        Assert.Equal(peerUrl, unreachable.Url);
        Assert.Contains("character set", unreachable.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts a peer whose <c>/proxy-status</c> answers as <paramref name="answer"/> does, and a replica naming it; the
    /// replica's own report must still be whole (200, itself its only replica) and name the peer as its one unreachable.
    /// </summary>
    private static async Task<(string PeerUrl, UnreachableReplica Unreachable)> UnreachablePeerAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var peer = builder.Build();
        peer.MapGet("/proxy-status", answer);
        await peer.StartAsync(TaskTimeouts.Token());
        var peerUrl = peer.Urls.Single();
        await using var other = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:ProxyStatus:ReplicaId"] = "xds-b",
            ["Xds:ProxyStatus:Peers:0"] = peerUrl,
        });

        using var response = await other.Admin.GetAsync("/proxy-status", TaskTimeouts.Token()).DefaultTimeout();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<ProxyStatusReport>(ProxyStatusJson.Options, TaskTimeouts.Token()))!;
        Assert.Equal(["xds-b"], report.Replicas);
        return (peerUrl, Assert.Single(report.Unreachable));
    }

    private async Task<ProxyStatusReport> ReportAsync() =>
        (await _host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token()).DefaultTimeout())!;

    /// <summary>A URL the command cannot ask (its http:// left out, another scheme) is named unreachable, not a crash.</summary>
    [Theory]
    [InlineData("localhost:18001")]
    [InlineData("127.0.0.1:18001")]
    [InlineData("ftp://127.0.0.1:18001")]
    public async Task The_Command_Names_A_Url_It_Cannot_Ask_Unreachable(string url)
    {
        using var output = new StringWriter();
        var exit = await ProxyStatusCommand.RunAsync(["--url", _host.AdminUri.ToString(), "--url", url], output, TextWriter.Null, TaskTimeouts.Token()).DefaultTimeout();

        Assert.Equal(0, exit);
        Assert.Contains($"UNREACHABLE {url}:", output.ToString());
    }
}
