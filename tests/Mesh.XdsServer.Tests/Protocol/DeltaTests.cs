using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>Incremental (delta) ADS, rule by rule from the xDS protocol document.</summary>
public sealed class DeltaTests : IAsyncLifetime
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
    public async Task Wildcard_Sends_Every_Resource_With_Its_Version()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();

        Assert.Equal(
            [
                "cds_egress_demo_amazonaws", "cds_egress_demo_api-v1_http_9080", "cds_egress_demo_api-v2_http_9080", "cds_ingress_demo_web_http_8080",
            ],
            cds.Resources.Select(r => r.Name));
        Assert.All(cds.Resources, r => Assert.Matches("^[0-9a-f]{16}$", r.Version));
        Assert.Empty(cds.RemovedResources);
        Assert.Equal("cds_egress_demo_amazonaws", cds.Resources[0].Resource_.Unpack<Cluster>().Name);
    }

    [Fact]
    public async Task A_Name_Subscribed_To_Again_Is_Sent_Again()
    {
        // xDS "Subscribing to Resources": sent even if the server thinks the client has it (an Envoy whose new watch
        // found it forgot its copy subscribes again without unsubscribing first).
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_egress_http_9080"]);
        var first = await client.NextAsync();
        await client.AckAsync(first);

        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_egress_http_9080"]);
        var again = await client.NextAsync();

        Assert.Equal("rds_egress_http_9080", Assert.Single(again.Resources).Name);
        Assert.Equal(Assert.Single(first.Resources).Version, again.Resources[0].Version);
    }

    [Fact]
    public async Task A_Missing_Name_Subscribed_To_Again_Is_Reported_Again()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_absent"]);
        var first = await client.NextAsync();
        Assert.Equal(["rds_absent"], first.RemovedResources);
        await client.AckAsync(first);

        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_absent"]);

        Assert.Equal(["rds_absent"], (await client.NextAsync()).RemovedResources);
    }

    [Fact]
    public async Task A_Deleted_Resource_Comes_Back_In_Removed_Resources()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v2_http_9080", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Graph);

        var removal = await client.NextAsync();
        Assert.Empty(removal.Resources);
        Assert.Equal(["cds_egress_demo_api-v2_http_9080"], removal.RemovedResources);
    }

    [Fact]
    public async Task Reconnect_With_Initial_Versions_Resends_Only_What_Changed()
    {
        Dictionary<string, string> held;
        await using (var first = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Cluster);
            held = (await first.NextAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        // While disconnected: api-v2 goes away, a new service appears.
        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local")
            .Graph);

        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, initialVersions: held);
        var update = await client.NextAsync();

        Assert.Equal(["cds_egress_demo_billing_grpc_7000"], update.Resources.Select(r => r.Name));
        Assert.Equal(["cds_egress_demo_api-v2_http_9080"], update.RemovedResources);
    }

    [Fact]
    public async Task Reconnect_Naming_A_Resource_That_Went_Meanwhile_Is_Answered_With_Its_Removal_Alone()
    {
        // A client that names what it wants (not the wildcard) and held a resource that was deleted while it was
        // away: the resource it still holds is current and not sent again; the deleted one comes in removed_resources.
        string[] names = ["cds_egress_demo_api-v1_http_9080", "cds_egress_demo_api-v2_http_9080"];
        Dictionary<string, string> held;
        await using (var first = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Cluster, names);
            held = (await first.NextAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Graph);

        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, names, initialVersions: held);
        var update = await client.NextAsync();

        Assert.Empty(update.Resources);
        Assert.Equal(["cds_egress_demo_api-v2_http_9080"], update.RemovedResources);
        await client.AckAsync(update);
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v2_http_9080", Envoy.Admin.V3.ClientResourceStatus.DoesNotExist);
    }

    [Fact]
    public async Task A_Wildcard_Subscriber_Naming_A_Missing_Resource_Later_Is_Told_It_Does_Not_Exist()
    {
        // On demand (ODCDS) beside the wildcard: xDS "Knowing when a requested resource does not exist", so the
        // client stops waiting for it; nothing it holds is sent again.
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());

        await client.SendAsync(TypeUrls.Cluster, ["cds_egress_demo_nowhere"]);
        var missing = await client.NextAsync();

        Assert.Equal(TypeUrls.Cluster, missing.TypeUrl);
        Assert.Empty(missing.Resources);
        Assert.Equal(["cds_egress_demo_nowhere"], missing.RemovedResources);
    }

    [Fact]
    public async Task Reconnect_With_Everything_Current_Sends_Nothing()
    {
        Dictionary<string, string> held;
        await using (var first = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Cluster);
            held = (await first.NextAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, initialVersions: held);
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v1_http_9080"]);

        // The first response is the EDS one: nothing about clusters was re-sent.
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, next.TypeUrl);
    }

    [Fact]
    public async Task A_Subscribed_Name_That_Does_Not_Exist_Is_Reported_Then_Sent_When_It_Appears()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v3_http_9080"]);
        var missing = await client.NextAsync();
        Assert.Empty(missing.Resources);
        Assert.Equal(["cds_proxyless_demo_api-v3_http_9080"], missing.RemovedResources);
        await client.AckAsync(missing);
        await _host.ProcessedAsync(TypeUrls.Endpoint, "cds_proxyless_demo_api-v3_http_9080", Envoy.Admin.V3.ClientResourceStatus.DoesNotExist);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .Node("api-v3", "127.0.0.4", 9080)
            .HttpRoute("api-router", "default", "/", ("api-v1", 40), ("api-v2", 30), ("api-v3", 30))
            .Graph);

        var appeared = await client.NextAsync();
        var resource = Assert.Single(appeared.Resources);
        Assert.Equal("127.0.0.4", resource.Resource_.Unpack<ClusterLoadAssignment>().Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_Wildcard_Dropped_And_Taken_Again_On_One_Stream_Is_Answered_By_The_Ack_Or_Nack_Of_Its_Resend(bool nack)
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.NextAsync();
        await client.AckAsync(first);
        await client.SendAsync(TypeUrls.Cluster, unsubscribe: ["*"]);
        var removals = await client.NextAsync();
        Assert.Equal(first.Resources.Select(r => r.Name), removals.RemovedResources);
        await client.AckAsync(removals);

        await client.SendAsync(TypeUrls.Cluster, subscribe: ["*"]);
        var again = await client.NextAsync();
        Assert.Equal(first.Resources.Select(r => r.Name), again.Resources.Select(r => r.Name));
        await (nack ? client.NackAsync(again, "rejected by test") : client.AckAsync(again));

        var answer = nack ? Envoy.Admin.V3.ClientResourceStatus.Nacked : Envoy.Admin.V3.ClientResourceStatus.Acked;
        await Eventually.TrueAsync(() => _host.Streams.Streams.Single().Resources.Values.All(r => r.ClientStatus == answer));
        Assert.Equal(first.Resources.Count, _host.Streams.Streams.Single().Resources.Count);
    }

    [Fact]
    public async Task Nack_Is_Recorded_And_Nothing_Is_Resent()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        await client.NackAsync(cds, "cluster rejected by test");
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v1_http_9080"]);

        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, next.TypeUrl);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_nacks_total", "type=\"cds\""));
        var status = Assert.Single(_host.Streams.Streams).Resources[(TypeUrls.Cluster, "cds_egress_demo_api-v1_http_9080")];
        Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Nacked, status.ClientStatus);
    }

    [Fact]
    public async Task An_Answer_With_A_Nonce_Of_No_Response_Awaiting_One_Is_Counted_As_Stale_And_Changes_Nothing()
    {
        // A nonce the stream never sent (another server's, say) and one already answered: neither answers anything,
        // so neither counts as an ACK or NACK nor changes what the proxy is shown holding. They were ignored silently.
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        await client.AckAsync(cds);
        await Eventually.TrueAsync(() => _host.Metrics.Get("mesh_xds_acks_total", "type=\"cds\"") == 1);

        await client.SendAsync(TypeUrls.Cluster, nonce: "no-such-nonce", error: "refused by another server's stream");
        await client.AckAsync(cds);
        await Eventually.TrueAsync(() => _host.Metrics.Get("mesh_xds_stale_requests_total", "type=\"cds\"") == 2);

        Assert.Equal(0, _host.Metrics.Get("mesh_xds_nacks_total", "type=\"cds\""));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_acks_total", "type=\"cds\""));
        Assert.All(Assert.Single(_host.Streams.Streams).Resources.Values, r => Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, r.ClientStatus));
    }

    [Fact]
    public async Task A_Response_The_Client_Answers_Past_Is_Taken_As_Accepted()
    {
        // The client answers the change without answering the first response: v2, sent only in that one, was stuck
        // as sent and unanswered (STALE) until it changed again. The client took it before the change it ACKed.
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, [v1, v2]);
        var eds = await client.NextAsync();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.8", 9080).Graph);
        var change = await client.NextAsync();
        Assert.Equal(v1, Assert.Single(change.Resources).Name);

        await client.AckAsync(change);
        await _host.ProcessedAsync(TypeUrls.Endpoint, v1, Envoy.Admin.V3.ClientResourceStatus.Acked);

        var status = Assert.Single(_host.Streams.Streams).Resources[(TypeUrls.Endpoint, v2)];
        Assert.Equal((eds.Resources.Single(r => r.Name == v2).Version, Envoy.Admin.V3.ClientResourceStatus.Acked), (status.Version, status.ClientStatus));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_Answer_To_A_Response_Forgotten_Past_The_Pending_Limit_Still_Counts(bool nack)
    {
        // More responses than are kept pending go out before the client answers any (a burst of changes to a slow
        // proxy); it then answers each, in order. The first one's answer came after it was forgotten and was ignored,
        // so v2, sent only in it, stayed STALE (and a refusal of it went unseen).
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        var responses = await FirstAndChangesOfV1Async(client, v1, v2, DeltaTypeState.MaxPending);
        Assert.All(responses.Skip(1), change => Assert.Equal(v1, Assert.Single(change.Resources).Name));

        await (nack ? client.NackAsync(responses[0], "rejected by test") : client.AckAsync(responses[0]));
        foreach (var later in responses.Skip(1))
        {
            await client.AckAsync(later);
        }

        await _host.ProcessedAsync(TypeUrls.Endpoint, v1, Envoy.Admin.V3.ClientResourceStatus.Acked);
        var sentVersion = responses[0].Resources.Single(r => r.Name == v2).Version;
        var status = Assert.Single(_host.Streams.Streams).Resources[(TypeUrls.Endpoint, v2)];
        if (nack)
        {
            // It held no v2 before: it runs none, having refused the one sent.
            Assert.Equal(("", Envoy.Admin.V3.ClientResourceStatus.Nacked, sentVersion), (status.Version, status.ClientStatus, status.RejectedVersion));
            Assert.Contains("rejected by test", status.Error);
        }
        else
        {
            Assert.Equal((sentVersion, Envoy.Admin.V3.ClientResourceStatus.Acked), (status.Version, status.ClientStatus));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_Forgotten_Response_Accepted_Is_What_The_Proxy_Runs_When_It_Refuses_A_Later_One_That_Sent_The_Name_Again(bool sentAfterItWasForgotten)
    {
        // The first response sends v2; the last of a burst sends v2 again at another version, either as the first is
        // forgotten past the pending limit or after it was. The proxy ACKs all but the last, which it NACKs: it runs
        // the first response's v2. The first's list was gone by its ACK (or v2's entry replaced after it was
        // forgotten), so v2 showed the version it ran before (none).
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        var responses = await FirstAndChangesOfV1Async(client, v1, v2, sentAfterItWasForgotten ? DeltaTypeState.MaxPending : DeltaTypeState.MaxPending - 1);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.10", 9080).Graph);
        var last = await client.NextAsync();
        Assert.Equal(v2, Assert.Single(last.Resources).Name);

        foreach (var response in responses)
        {
            await client.AckAsync(response);
        }

        await client.NackAsync(last, "rejected by test");
        await _host.ProcessedAsync(TypeUrls.Endpoint, v2, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        var status = Assert.Single(_host.Streams.Streams).Resources[(TypeUrls.Endpoint, v2)];
        Assert.Equal(
            (responses[0].Resources.Single(r => r.Name == v2).Version, last.Resources[0].Version),
            (status.Version, status.RejectedVersion));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_Cluster_Removed_Twice_Before_The_Proxy_Answers_Shows_What_It_Made_Of_The_First_Removal(bool firstRemovalTaken)
    {
        // api-v2's cluster, sent in the first CDS response, is removed, sent again at another version and removed again
        // before the proxy answers. It takes the first response, takes (or refuses) the first removal and refuses the
        // rest: taken, it runs nothing of the cluster; refused, the first response's version. The second removal
        // replaced the first, so status showed the first version either way.
        const string v1 = "cds_egress_demo_api-v1_http_9080", v2 = "cds_egress_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.NextAsync();

        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v1", 100)).Delete("virtualNode", "", "api-v2").Graph);
        var removal = await client.NextAsync();
        Assert.Equal([v2], removal.RemovedResources);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .Node("api-v2", "127.0.0.12", 9080)
            .HttpRoute("api-router", "default", "/", ("api-v1", 50), ("api-v2", 50))
            .Graph);
        var again = await client.NextAsync();
        Assert.Equal(v2, Assert.Single(again.Resources).Name);

        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v1", 100)).Delete("virtualNode", "", "api-v2").Graph);
        var removedAgain = await client.NextAsync();
        Assert.Equal([v2], removedAgain.RemovedResources);

        await client.AckAsync(first);
        await (firstRemovalTaken ? client.AckAsync(removal) : client.NackAsync(removal, "rejected by test"));
        await client.NackAsync(again, "rejected by test");
        await client.NackAsync(removedAgain, "rejected by test");

        // A change of api-v1's cluster, refused after those answers: once status shows that, they are all in.
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.11", 9080).Graph);
        var last = await client.NextAsync();
        Assert.Equal(v1, Assert.Single(last.Resources).Name);
        await client.NackAsync(last, "rejected by test");
        await _host.ProcessedAsync(TypeUrls.Cluster, v1, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        var resources = Assert.Single(_host.Streams.Streams).Resources;
        if (firstRemovalTaken)
        {
            Assert.DoesNotContain((TypeUrls.Cluster, v2), resources.Keys);
        }
        else
        {
            var status = resources[(TypeUrls.Cluster, v2)];
            Assert.Equal(
                (first.Resources.Single(r => r.Name == v2).Version, Envoy.Admin.V3.ClientResourceStatus.Nacked, ""),
                (status.Version, status.ClientStatus, status.RejectedVersion));
        }
    }

    [Fact]
    public async Task The_First_Response_Accepted_Is_What_The_Proxy_Runs_When_It_Refuses_A_Later_Version_And_The_Removal()
    {
        // The first CDS response (held as the stream's baseline) sends api-v2's cluster; before the proxy answers,
        // a change sends it at another version and a later one removes it. The proxy ACKs the first and refuses the
        // other two: it runs the first's version. The ACK did not reach the kept removal, so the cluster was not shown.
        const string v2 = "cds_egress_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var first = await client.NextAsync();

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.12", 9080).Graph);
        var change = await client.NextAsync();
        Assert.Equal(v2, Assert.Single(change.Resources).Name);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Graph);
        var removal = await client.NextAsync();
        Assert.Equal([v2], removal.RemovedResources);

        await client.AckAsync(first);
        await client.NackAsync(change, "rejected by test");
        await client.NackAsync(removal, "rejected by test");
        await _host.ProcessedAsync(TypeUrls.Cluster, v2, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        var status = Assert.Single(_host.Streams.Streams).Resources[(TypeUrls.Cluster, v2)];
        Assert.Equal((first.Resources.Single(r => r.Name == v2).Version, ""), (status.Version, status.RejectedVersion));
    }

    [Fact]
    public async Task A_Change_Resends_Only_The_Changed_Resource_And_Csds_Shows_The_Version_The_Client_Holds()
    {
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, [v1, v2]);
        var eds = await client.NextAsync();
        var first = eds.Resources.ToDictionary(r => r.Name, r => r.Version);
        await client.AckAsync(eds);
        await _host.ProcessedAsync(TypeUrls.Endpoint, v2, Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.8", 9080).Graph);
        var change = await client.NextAsync();
        var changed = Assert.Single(change.Resources);
        Assert.Equal(v1, changed.Name);
        Assert.NotEqual(first[v1], changed.Version);
        Assert.Empty(change.RemovedResources);

        // Before the ACK: the changed resource is the new version, sent and not answered; the other is as it was.
        var status = Assert.Single(_host.Streams.Streams).Resources;
        Assert.Equal((changed.Version, Envoy.Admin.V3.ClientResourceStatus.Requested), (status[(TypeUrls.Endpoint, v1)].Version, status[(TypeUrls.Endpoint, v1)].ClientStatus));
        Assert.Equal((first[v2], Envoy.Admin.V3.ClientResourceStatus.Acked), (status[(TypeUrls.Endpoint, v2)].Version, status[(TypeUrls.Endpoint, v2)].ClientStatus));

        await client.AckAsync(change);
        await _host.ProcessedAsync(TypeUrls.Endpoint, v1, Envoy.Admin.V3.ClientResourceStatus.Acked);

        // The same content again sends nothing; the next response is for a type asked for afterwards.
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.8", 9080).Graph);
        await client.SendAsync(TypeUrls.Cluster);
        Assert.Equal(TypeUrls.Cluster, (await client.NextAsync()).TypeUrl);
    }

    [Fact]
    public async Task Unsubscribe_Stops_Updates_For_That_Name()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, ["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"]);
        var eds = await client.NextAsync();
        Assert.Equal(2, eds.Resources.Count);
        await client.SendAsync(TypeUrls.Endpoint, unsubscribe: ["cds_proxyless_demo_api-v2_http_9080"], nonce: eds.Nonce);
        await _host.ProcessedAsync(TypeUrls.Endpoint, "cds_proxyless_demo_api-v2_http_9080", null);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v2", "127.0.0.9", 9080).Node("api-v1", "127.0.0.8", 9080).Graph);
        var next = await client.NextAsync();
        Assert.Equal(["cds_proxyless_demo_api-v1_http_9080"], next.Resources.Select(r => r.Name));
        Assert.Empty(next.RemovedResources);
    }
    [Fact]
    public async Task Subscribing_To_Another_Name_After_An_Ack_Sends_Only_That_Name()
    {
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, [v1]);
        var first = await client.NextAsync();
        Assert.Equal([v1], first.Resources.Select(r => r.Name));

        // The ACK (on the same snapshot) sends nothing; the new name, in the same request, is sent alone.
        await client.SendAsync(TypeUrls.Endpoint, [v2], nonce: first.Nonce);
        var second = await client.NextAsync();
        Assert.Equal([v2], second.Resources.Select(r => r.Name));
        Assert.Empty(second.RemovedResources);
    }

    [Fact]
    public async Task A_Name_Unsubscribed_And_Subscribed_Again_On_The_Same_Snapshot_Is_Sent_Again()
    {
        const string v1 = "cds_proxyless_demo_api-v1_http_9080", v2 = "cds_proxyless_demo_api-v2_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, [v1, v2]);
        var eds = await client.NextAsync();
        await client.SendAsync(TypeUrls.Endpoint, unsubscribe: [v2], nonce: eds.Nonce);
        await _host.ProcessedAsync(TypeUrls.Endpoint, v2, null);

        await client.SendAsync(TypeUrls.Endpoint, [v2]);
        var again = await client.NextAsync();
        Assert.Equal([v2], again.Resources.Select(r => r.Name));
        Assert.Equal(eds.Resources.Single(r => r.Name == v2).Version, again.Resources[0].Version);
    }

    [Fact]
    public async Task Unsubscribing_From_A_Name_While_Wildcard_Is_Answered_With_Its_State()
    {
        // A wildcard subscriber cannot tell whether the wildcard covers a name it unsubscribes from, so it waits to be
        // told (Envoy keeps such a resource as "ambiguous"): sent again when the wildcard has it, removed when not.
        const string inWildcard = "cds_egress_demo_api-v1_http_9080", onDemand = "cds_proxyless_demo_api-v1_http_9080";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, ["*", inWildcard, onDemand]);
        var cds = await client.NextAsync();
        Assert.Contains(inWildcard, cds.Resources.Select(r => r.Name));
        Assert.Contains(onDemand, cds.Resources.Select(r => r.Name));

        await client.SendAsync(TypeUrls.Cluster, unsubscribe: [inWildcard], nonce: cds.Nonce);
        var again = await client.NextAsync();
        Assert.Equal([inWildcard], again.Resources.Select(r => r.Name));
        Assert.Equal(cds.Resources.Single(r => r.Name == inWildcard).Version, again.Resources[0].Version);
        Assert.Empty(again.RemovedResources);

        await client.SendAsync(TypeUrls.Cluster, unsubscribe: [onDemand], nonce: again.Nonce);
        var removed = await client.NextAsync();
        Assert.Empty(removed.Resources);
        Assert.Equal([onDemand], removed.RemovedResources);

        // A name and the wildcard given up in one request, the name first: the wildcard no longer covers it, so removed.
        await client.SendAsync(TypeUrls.Cluster, [inWildcard], nonce: removed.Nonce);
        var named = await client.NextAsync();
        Assert.Equal([inWildcard], named.Resources.Select(r => r.Name));
        await client.SendAsync(TypeUrls.Cluster, unsubscribe: [inWildcard, "*"], nonce: named.Nonce);
        var gone = await client.NextAsync();
        Assert.Contains(inWildcard, gone.RemovedResources);
    }

    [Fact]
    public async Task Unsubscribing_From_A_Held_Name_While_Wildcard_Before_The_First_Snapshot_Is_Answered_When_It_Comes()
    {
        // A proxy reconnects (to a server that has no snapshot for it yet) saying what it holds, and unsubscribes from
        // one name while taking the wildcard: it keeps that copy and waits to be told, so the first snapshot, which has
        // it at the very version held, must send it again (and nothing else: the rest is current).
        const string inWildcard = "cds_egress_demo_api-v1_http_9080";
        Dictionary<string, string> held;
        await using (var first = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web")))
        {
            await first.SendAsync(TypeUrls.Cluster);
            held = (await first.NextAsync()).Resources.ToDictionary(r => r.Name, r => r.Version);
        }

        await using var fresh = await XdsTestHost.StartAsync();
        await using var client = DeltaAdsClient.Connect(fresh.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, initialVersions: held);
        await client.SendAsync(TypeUrls.Cluster, unsubscribe: [inWildcard]);
        // A stream's requests are handled in order: once the route request shows, the unsubscribe was handled.
        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_egress_http_9080"]);
        await Eventually.TrueAsync(() => fresh.Streams.Streams.Any(s => s.RequestedTypes.Contains(TypeUrls.Route)));
        fresh.Producer.SetMesh(_mesh.Key, _mesh.Graph);

        var answer = await client.NextAsync();
        Assert.Equal([inWildcard], answer.Resources.Select(r => r.Name));
        Assert.Equal(held[inWildcard], answer.Resources[0].Version);
        Assert.Empty(answer.RemovedResources);
    }

    [Fact]
    public async Task A_Wildcard_With_Nothing_To_Send_Still_Gets_A_First_Response_Before_And_After_Its_Snapshot()
    {
        // Envoy completes initialisation only once each wildcard type is answered; a gateway with no routes has no
        // cluster, so its first CDS answer is empty. Asked before the gateway's snapshot exists, it is owed until then.
        await using var early = DeltaAdsClient.Connect(_host.Channel, "mesh/demo/virtualGateway/edge");
        await early.SendAsync(TypeUrls.Cluster);
        await early.SendAsync(TypeUrls.Route, subscribe: ["rds_absent"]);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Any(s => s.Identity?.Name == "edge" && s.RequestedTypes.Contains(TypeUrls.Route)));
        _host.Producer.SetMesh(_mesh.Key, _mesh.Gateway("edge").Graph);

        var responses = new[] { await early.NextAsync(), await early.NextAsync() };
        var cds = Assert.Single(responses, r => r.TypeUrl == TypeUrls.Cluster);
        Assert.Empty(cds.Resources);
        Assert.Empty(cds.RemovedResources);
        Assert.False(string.IsNullOrEmpty(cds.Nonce));

        await using var late = DeltaAdsClient.Connect(_host.Channel, "mesh/demo/virtualGateway/edge");
        await late.SendAsync(TypeUrls.Cluster);
        var lateCds = await late.NextAsync();
        Assert.Equal(TypeUrls.Cluster, lateCds.TypeUrl);
        Assert.Empty(lateCds.Resources);

        // Answered once: its ACK gets nothing more.
        await late.AckAsync(lateCds);
        await late.SendAsync(TypeUrls.Route, subscribe: ["rds_absent"]);
        var next = await late.NextAsync();
        Assert.Equal(TypeUrls.Route, next.TypeUrl);
    }

    [Fact]
    public async Task An_Owed_First_Response_Is_The_One_Reporting_Missing_Names_Not_An_Extra_Empty_One()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, "mesh/demo/virtualGateway/edge");
        await client.SendAsync(TypeUrls.Cluster, ["*", "cds_absent"]);
        await client.SendAsync(TypeUrls.Route, subscribe: ["rds_absent"]);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Any(s => s.Identity?.Name == "edge" && s.RequestedTypes.Contains(TypeUrls.Route)));
        _host.Producer.SetMesh(_mesh.Key, _mesh.Gateway("edge").Graph);

        var cds = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, cds.TypeUrl);
        Assert.Empty(cds.Resources);
        Assert.Equal(["cds_absent"], cds.RemovedResources);
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Route, next.TypeUrl);
    }

    [Fact]
    public async Task Wildcard_With_A_Named_Resource_Sends_Each_Once_In_Name_Order_And_Removes_What_Is_Gone()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, ["*", "cds_egress_demo_api-v1_http_9080", "cds_egress_demo_nowhere"]);
        var cds = await client.NextAsync();
        Assert.Equal(
            [
                "cds_egress_demo_amazonaws", "cds_egress_demo_api-v1_http_9080", "cds_egress_demo_api-v2_http_9080", "cds_ingress_demo_web_http_8080",
            ],
            cds.Resources.Select(r => r.Name));
        Assert.Equal(["cds_egress_demo_nowhere"], cds.RemovedResources);
        await client.AckAsync(cds);
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v2_http_9080", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Graph);

        // The missing name is not reported again; only what went is removed.
        var removal = await client.NextAsync();
        Assert.Empty(removal.Resources);
        Assert.Equal(["cds_egress_demo_api-v2_http_9080"], removal.RemovedResources);
    }

    /// <summary>
    /// Subscribes to the endpoints of <paramref name="v1"/> and <paramref name="v2"/>, then changes api-v1's address
    /// <paramref name="changes"/> times without answering (a burst of changes to a slow proxy): the first response and
    /// each change's.
    /// </summary>
    private async Task<List<Envoy.Service.Discovery.V3.DeltaDiscoveryResponse>> FirstAndChangesOfV1Async(DeltaAdsClient client, string v1, string v2, int changes)
    {
        await client.SendAsync(TypeUrls.Endpoint, [v1, v2]);
        var responses = new List<Envoy.Service.Discovery.V3.DeltaDiscoveryResponse> { await client.NextAsync() };
        for (var i = 1; i <= changes; i++)
        {
            _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", i % 2 == 1 ? "127.0.0.8" : "127.0.0.9", 9080).Graph);
            responses.Add(await client.NextAsync());
        }

        return responses;
    }
}
