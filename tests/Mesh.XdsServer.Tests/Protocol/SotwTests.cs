using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>State-of-the-world ADS, rule by rule from the xDS protocol document.</summary>
public sealed class SotwTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Named_Listeners_None_Of_Which_Exists_Are_Answered_Empty()
    {
        // For LDS and CDS absence is deletion: a gRPC client that kept a listener over a reconnect during which it was
        // deleted learns so only from this (empty) answer.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener, ["gone.demo.local:8080"]);

        var lds = await client.NextAsync();

        Assert.Equal(TypeUrls.Listener, lds.TypeUrl);
        Assert.Empty(lds.Resources);
    }

    [Theory]
    [InlineData(TypeUrls.Listener, "api.demo.local:9080", "gone.demo.local:8080")]
    [InlineData(TypeUrls.Cluster, "cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_gone_http_9080")]
    public async Task Naming_A_Listener_Or_Cluster_That_Does_Not_Exist_Beside_One_Held_Is_Answered(string typeUrl, string held, string missing)
    {
        // xDS "Knowing When a Requested Resource Does Not Exist": LDS and CDS responses carry every resource asked for,
        // so one without the new name says it does not exist. Left unanswered (what the client holds is all there is),
        // a client that adds a name to its stream could not tell that it does not exist.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(typeUrl, [held]);
        var first = await client.NextAsync();
        Assert.Single(first.Resources);

        await client.SendAsync(typeUrl, [held, missing], version: first.VersionInfo, nonce: first.Nonce);
        var again = await client.NextAsync();

        Assert.Equal(typeUrl, again.TypeUrl);
        Assert.Equal(first.VersionInfo, again.VersionInfo);
        Assert.NotEqual(first.Nonce, again.Nonce);
        Assert.Equal(first.Resources, again.Resources);

        // Its ACK is answered with nothing: a change to the mesh is the next response.
        await client.SendAsync(typeUrl, [held, missing], version: again.VersionInfo, nonce: again.Nonce);
        await _host.ProcessedAsync(typeUrl, held, Acked);
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Graph);
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        Assert.Equal(TypeUrls.Endpoint, (await client.NextAsync()).TypeUrl);
    }

    [Theory]
    [InlineData(TypeUrls.Endpoint)]
    [InlineData(TypeUrls.Secret)]
    [InlineData(TypeUrls.Route)]
    public async Task An_Empty_Request_Names_Nothing_But_For_Listeners_And_Clusters(string typeUrl)
    {
        // xDS: the empty list is the legacy wildcard for LDS and CDS only. An Envoy re-requests a type it no longer
        // watches with it after a reconnect; answered with everything, its later named requests looked served already.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(typeUrl);
        await client.SendAsync(TypeUrls.Cluster);

        // One stream's requests are handled in order: had the first been answered, its response would come first.
        Assert.Equal(TypeUrls.Cluster, (await client.NextAsync()).TypeUrl);

        // Then named (routes, which the node has), what the client asks for is sent.
        if (typeUrl == TypeUrls.Route)
        {
            await client.SendAsync(typeUrl, ["rds_egress_http_9080"]);
            Assert.Equal("rds_egress_http_9080", Assert.Single((await client.NextAsync()).Resources).Unpack<Envoy.Config.Route.V3.RouteConfiguration>().Name);
        }
    }

    [Fact]
    public async Task A_Legacy_Wildcard_Followed_By_Names_Without_The_Wildcard_Asks_For_Those_Names_Only()
    {
        // xDS: the empty list is a wildcard only until the client names something; a list without "*" then is
        // exactly what it asks for, and for CDS (full state) what it is not sent any more it drops.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        Assert.Equal(4, cds.Resources.Count);

        await client.AckAsync(cds, ["cds_egress_demo_api-v1_http_9080"]);
        var named = await client.NextAsync();

        Assert.Equal(TypeUrls.Cluster, named.TypeUrl);
        Assert.Equal(["cds_egress_demo_api-v1_http_9080"], AdsClient.Unpack<Cluster>(named).Select(c => c.Name));
    }

    [Fact]
    public async Task Names_Added_To_A_Wildcard_Come_With_It_And_Go_When_No_Longer_Named()
    {
        // xDS "wildcard plus named": a resource outside the wildcard (the proxyless api_listener) is sent while named
        // beside "*", and LDS being full state, the next response without it removes it.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();

        await client.AckAsync(lds, ["*", "api.demo.local:9080"]);
        var more = await client.NextAsync();
        Assert.Equal(["api.demo.local:9080", "lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"], AdsClient.Unpack<Listener>(more).Select(l => l.Name));

        await client.AckAsync(more, ["*"]);
        var less = await client.NextAsync();
        Assert.Equal(["lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"], AdsClient.Unpack<Listener>(less).Select(l => l.Name));
        Assert.Equal(lds.VersionInfo, less.VersionInfo);
    }

    [Fact]
    public async Task After_Naming_The_Wildcard_An_Empty_List_Unsubscribes_From_Everything()
    {
        // xDS: the empty list is the legacy wildcard only while the client never named anything of the type.
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, ["*"]);
        var cds = await client.NextAsync();
        Assert.Equal(4, cds.Resources.Count);
        await client.AckAsync(cds, ["*"]);
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        var eds = await client.NextAsync();
        await client.AckAsync(eds, ["cds_proxyless_demo_api-v2_http_9080"]);

        await client.AckAsync(cds, []);
        var emptied = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, emptied.TypeUrl);
        Assert.Empty(emptied.Resources);
        await client.AckAsync(emptied, []);

        // Barrier: a change to api-v2's address changes its clusters and its endpoints; only the endpoints are still
        // asked for, so the next response is EDS (a wildcard CDS push would come first).
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Graph);
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, next.TypeUrl);
    }

    [Fact]
    public async Task Wildcard_Lds_And_Cds_Carry_The_Full_State()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));

        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();

        Assert.Equal(TypeUrls.Cluster, cds.TypeUrl);
        Assert.Equal(
            [
                "cds_egress_demo_amazonaws", "cds_egress_demo_api-v1_http_9080", "cds_egress_demo_api-v2_http_9080", "cds_ingress_demo_web_http_8080",
            ],
            AdsClient.Unpack<Cluster>(cds).Select(c => c.Name));
        Assert.Equal(TypeUrls.Listener, lds.TypeUrl);

        // The proxyless api_listeners exist in the snapshot but are never part of a wildcard.
        Assert.Equal(["lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"], AdsClient.Unpack<Listener>(lds).Select(l => l.Name));
        Assert.NotEmpty(cds.Nonce);
        Assert.NotEqual(cds.Nonce, lds.Nonce);
        Assert.Matches("^[0-9a-f]{16}$", cds.VersionInfo);
    }

    [Fact]
    public async Task Named_Rds_And_Eds_Return_Only_The_Names_Asked_For()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));

        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        var eds = await client.NextAsync();
        await client.SendAsync(TypeUrls.Route, ["rds_egress_http_9080"]);
        var rds = await client.NextAsync();

        var assignment = Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(eds));
        Assert.Equal("cds_proxyless_demo_api-v2_http_9080", assignment.ClusterName);
        Assert.Equal("127.0.0.2", assignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        var routes = Assert.Single(AdsClient.Unpack<RouteConfiguration>(rds));
        Assert.Equal("rds_egress_http_9080", routes.Name);
    }

    [Fact]
    public async Task Ack_Is_Recorded_And_Answered_With_Nothing()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        var eds = await client.NextAsync();
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();

        await client.AckAsync(lds);
        await client.AckAsync(eds, ["cds_proxyless_demo_api-v2_http_9080"]);
        await _host.ProcessedAsync(TypeUrls.Listener, "lds_egress_0.0.0.0_15001", Acked);
        await _host.ProcessedAsync(TypeUrls.Endpoint, "cds_proxyless_demo_api-v2_http_9080", Acked);

        // Barrier: a change to api-v2's address must produce the next response, an EDS one. Had either ACK
        // been answered, that answer would have come first on this single, ordered stream.
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Graph);
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, next.TypeUrl);
        Assert.Equal("127.0.0.9", AdsClient.Unpack<ClusterLoadAssignment>(next)[0].Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_acks_total", "type=\"lds\""));
    }

    [Fact]
    public async Task Nack_Is_Recorded_And_Not_Resent_Until_A_New_Version_Exists()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        var eds = await client.NextAsync();
        await client.AckAsync(eds, ["cds_proxyless_demo_api-v2_http_9080"]);
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();

        await client.NackAsync(lds, "", "listener rejected by test");
        await _host.ProcessedAsync(TypeUrls.Listener, "lds_egress_0.0.0.0_15001", Envoy.Admin.V3.ClientResourceStatus.Nacked);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Graph);
        var barrier = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, barrier.TypeUrl);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_nacks_total", "type=\"lds\""));
        var stream = Assert.Single(_host.Streams.Streams);
        var status = stream.Resources[(TypeUrls.Listener, "lds_egress_0.0.0.0_15001")];
        Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Nacked, status.ClientStatus);
        Assert.Contains("listener rejected by test", status.Error);

        // A real change to the listeners is a new version, and that is sent.
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);
        var fixedLds = await client.NextAsync();
        while (fixedLds.TypeUrl != TypeUrls.Listener)
        {
            fixedLds = await client.NextAsync();
        }

        Assert.NotEqual(lds.VersionInfo, fixedLds.VersionInfo);
    }

    [Fact]
    public async Task A_Request_With_A_Stale_Nonce_Is_Ignored()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);
        var first = await client.NextAsync();
        await client.AckAsync(first, ["cds_proxyless_demo_api-v2_http_9080"]);
        await _host.ProcessedAsync(TypeUrls.Endpoint, "cds_proxyless_demo_api-v2_http_9080", Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Graph);
        var second = await client.NextAsync();

        // Echoing the first nonce after the second response was sent: stale. Its new name must not be honoured.
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"], first.VersionInfo, first.Nonce);
        await client.AckAsync(second, ["cds_proxyless_demo_api-v2_http_9080"]);
        await Eventually.TrueAsync(() => _host.Metrics.Get("mesh_xds_acks_total", "type=\"eds\"") == 2);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.10", 9080).Graph);
        var third = await client.NextAsync();
        Assert.Equal(["cds_proxyless_demo_api-v2_http_9080"], AdsClient.Unpack<ClusterLoadAssignment>(third).Select(a => a.ClusterName));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_stale_requests_total", "type=\"eds\""));
    }

    [Fact]
    public async Task A_Name_That_Does_Not_Exist_Yet_Is_Sent_When_It_Appears()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v3_http_9080"]);
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, cds.TypeUrl); // and no EDS response before it: nothing to send yet
        await client.AckAsync(cds);
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v1_http_9080", Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .Node("api-v3", "127.0.0.4", 9080)
            .HttpRoute("api-router", "default", "/", ("api-v1", 40), ("api-v2", 30), ("api-v3", 30))
            .Graph);

        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, next.TypeUrl); // CDS first
        var eds = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, eds.TypeUrl);
        Assert.Equal("cds_proxyless_demo_api-v3_http_9080", Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(eds)).ClusterName);
    }

    [Fact]
    public async Task A_Reconnecting_Client_With_The_Current_Version_Gets_No_Churn()
    {
        DiscoveryResponseSummary before;
        await using (var first = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Listener);
            var lds = await first.NextAsync();
            before = new DiscoveryResponseSummary(lds.VersionInfo);
        }

        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener, version: before.Version);
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v2_http_9080"]);

        // The first response is EDS: the listener request, already up to date, was not answered.
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, next.TypeUrl);
    }

    [Fact]
    public async Task A_Reconnected_Client_Asking_Again_For_A_Name_It_Dropped_Gets_It_Though_Its_Version_Matches()
    {
        // Envoy's version_info is the last response it accepted for the type, whatever names that carried: here the
        // version of route configuration rds_ingress_http_8080, which the client then stopped asking for (and dropped).
        string accepted;
        await using (var first = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Route, ["rds_ingress_http_8080"]);
            var rds = await first.NextAsync();
            accepted = rds.VersionInfo;
            await first.AckAsync(rds, ["missing"]);
        }

        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Route, ["missing"], version: accepted);
        await client.SendAsync(TypeUrls.Route, ["missing", "rds_ingress_http_8080"], version: accepted);

        var again = await client.NextAsync();
        Assert.Equal(TypeUrls.Route, again.TypeUrl);
        Assert.Equal("rds_ingress_http_8080", Assert.Single(AdsClient.Unpack<RouteConfiguration>(again)).Name);
    }

    [Fact]
    public async Task Only_The_First_Request_Needs_The_Node()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        Assert.Equal(TypeUrls.Cluster, (await client.NextAsync()).TypeUrl);
        await client.SendAsync(TypeUrls.Listener); // carries no node
        Assert.Equal(TypeUrls.Listener, (await client.NextAsync()).TypeUrl);
    }

    private sealed record DiscoveryResponseSummary(string Version);
}
