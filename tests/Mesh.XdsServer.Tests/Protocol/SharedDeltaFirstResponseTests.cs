using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A delta stream that holds nothing of a type is sent the same first response as the identity's other streams
/// that hold nothing and subscribe alike, worked out and encoded once (<see cref="DeltaChange.FromNothing"/>); a
/// stream of another identity, one seeded from <c>initial_resource_versions</c> and one that names other resources
/// get their own; and what each stream holds afterwards is its own, as if it had been sent a response of its own.
/// </summary>
public sealed class SharedDeltaFirstResponseTests : IAsyncLifetime
{
    private const string V1 = "cds_proxyless_demo_api-v1_http_9080", V2 = "cds_proxyless_demo_api-v2_http_9080";
    private const string V3 = "cds_proxyless_demo_api-v3_http_9080";
    private const string ApiV2Cluster = "cds_egress_demo_api-v2_http_9080";

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
    public async Task Two_Streams_Of_One_Identity_Get_One_First_Response_And_Each_Ack_Is_Its_Own()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var b = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Cluster);
        var fromA = await a.NextAsync();
        await b.SendAsync(TypeUrls.Cluster);
        var fromB = await b.NextAsync();

        Assert.Equal(Nonces.Cleared(fromA), Nonces.Cleared(fromB));
        Assert.Equal(4, fromA.Resources.Count);
        Assert.Equal("cds_egress_demo_amazonaws", fromA.Resources[0].Resource_.Unpack<Cluster>().Name);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"cds\""));

        // Only b answers: b's clusters are ACKed, a's still wait for its client.
        await b.AckAsync(fromB);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Cluster, ApiV2Cluster), out var r) && r.ClientStatus == Acked) == 1);
        Assert.Equal(1, _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Cluster, ApiV2Cluster), out var r) && r.ClientStatus == Requested));

        await a.NackAsync(fromA, "rejected");
        await Eventually.TrueAsync(() => _host.Streams.Streams.Any(s => s.Resources.TryGetValue((TypeUrls.Cluster, ApiV2Cluster), out var r) && r.ClientStatus == Nacked));
        Assert.Equal(1, _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Cluster, ApiV2Cluster), out var r) && r.ClientStatus == Acked));
    }

    [Fact]
    public async Task Another_Identity_Gets_Its_Own_First_Response()
    {
        await using var web = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var api = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("api-v1"));
        await web.SendAsync(TypeUrls.Cluster);
        var fromWeb = await web.NextAsync();
        await api.SendAsync(TypeUrls.Cluster);
        var fromApi = await api.NextAsync();

        Assert.Contains(ApiV2Cluster, fromWeb.Resources.Select(r => r.Name));
        Assert.DoesNotContain(ApiV2Cluster, fromApi.Resources.Select(r => r.Name));
        Assert.Equal(0, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"cds\""));
    }

    [Fact]
    public async Task Named_Streams_Share_The_Resources_And_The_Missing_Names_And_Each_Is_Sent_A_Name_When_It_Appears()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var b = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var other = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Endpoint, [V3, V1]);
        var fromA = await a.NextAsync();
        await b.SendAsync(TypeUrls.Endpoint, [V1, V3]);
        var fromB = await b.NextAsync();
        await other.SendAsync(TypeUrls.Endpoint, [V1]);
        var fromOther = await other.NextAsync();

        // One response with the resource that exists and the name that does not, as a stream's own answer has them.
        Assert.Equal(Nonces.Cleared(fromA), Nonces.Cleared(fromB));
        Assert.Equal([V1], fromA.Resources.Select(r => r.Name));
        Assert.Equal([V3], fromA.RemovedResources);
        Assert.Equal([V1], fromOther.Resources.Select(r => r.Name));
        Assert.Empty(fromOther.RemovedResources);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"eds\""));
        await a.AckAsync(fromA);
        await b.AckAsync(fromB);
        await other.AckAsync(fromOther);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Endpoint, V3), out var r) && r.ClientStatus == DoesNotExist) == 2);

        // The missing name is each stream's own: it appears, and both are sent it (not reported missing again).
        _host.Producer.SetMesh(_mesh.Key, _mesh
            .Node("api-v3", "127.0.0.4", 9080)
            .HttpRoute("api-router", "default", "/", ("api-v1", 40), ("api-v2", 30), ("api-v3", 30))
            .Graph);
        foreach (var client in new[] { a, b })
        {
            var appeared = await client.NextAsync();
            var resource = Assert.Single(appeared.Resources);
            Assert.Equal(V3, resource.Name);
            Assert.Equal("127.0.0.4", resource.Resource_.Unpack<ClusterLoadAssignment>().Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
            Assert.Empty(appeared.RemovedResources);
        }
    }

    [Fact]
    public async Task A_Stream_That_Dropped_All_It_Held_And_Subscribes_Again_Gets_What_A_New_Stream_Gets()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Endpoint, [V1]);
        var first = await a.NextAsync();
        await a.SendAsync(TypeUrls.Endpoint, unsubscribe: [V1], nonce: first.Nonce);
        await _host.ProcessedAsync(TypeUrls.Endpoint, V1, null);

        // It holds nothing again: V2 is the same first response as a new stream's.
        await a.SendAsync(TypeUrls.Endpoint, [V2]);
        var again = await a.NextAsync();
        await using var b = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await b.SendAsync(TypeUrls.Endpoint, [V2]);
        var fromB = await b.NextAsync();

        Assert.Equal([V2], again.Resources.Select(r => r.Name));
        Assert.Empty(again.RemovedResources);
        Assert.Equal(Nonces.Cleared(again), Nonces.Cleared(fromB));

        // And V1, subscribed to again while V2 is held, is sent alone, in a response of the stream's own.
        var shared = _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"eds\"");
        await a.SendAsync(TypeUrls.Endpoint, [V1], nonce: again.Nonce);
        var v1 = await a.NextAsync();
        Assert.Equal([V1], v1.Resources.Select(r => r.Name));
        Assert.Equal(shared, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"eds\""));
    }

    [Fact]
    public async Task A_Shared_First_Response_Sent_Twice_On_One_Stream_Has_Two_Nonces_And_Each_Answer_Is_Its_Own()
    {
        // A name subscribed to, dropped and subscribed to again with nothing changed: the same shared first response
        // both times. A nonce must name one response on its stream; written twice, an ACK answered only the first.
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Endpoint, [V1]);
        var first = await a.NextAsync();
        await a.SendAsync(TypeUrls.Endpoint, unsubscribe: [V1]);
        await _host.ProcessedAsync(TypeUrls.Endpoint, V1, null);
        await a.SendAsync(TypeUrls.Endpoint, [V1]);
        var again = await a.NextAsync();

        Assert.Equal(Nonces.Cleared(first), Nonces.Cleared(again));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"eds\""));
        Assert.NotEqual(first.Nonce, again.Nonce);

        // The client answers the second only (the first came before it dropped the name): that answers the resend.
        await a.AckAsync(again);
        await _host.ProcessedAsync(TypeUrls.Endpoint, V1, Acked);
    }

    [Fact]
    public async Task A_Seeded_Stream_Is_Not_Sent_The_Shared_Response()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Cluster);
        var fromA = await a.NextAsync();

        // A reconnect that holds all but one cluster at the current version is sent that one alone.
        var held = fromA.Resources.Where(r => r.Name != ApiV2Cluster).ToDictionary(r => r.Name, r => r.Version);
        await using var seeded = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await seeded.SendAsync(TypeUrls.Cluster, initialVersions: held);
        var fromSeeded = await seeded.NextAsync();

        Assert.Equal([ApiV2Cluster], fromSeeded.Resources.Select(r => r.Name));
        Assert.Equal(0, _host.Metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"cds\""));
    }

    [Fact]
    public async Task A_Removal_After_A_Shared_First_Response_Reaches_Every_Stream()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var b = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Cluster);
        var fromA = await a.NextAsync();
        await b.SendAsync(TypeUrls.Cluster);
        var fromB = await b.NextAsync();
        Assert.Equal(Nonces.Cleared(fromA), Nonces.Cleared(fromB));
        await a.AckAsync(fromA);
        await b.AckAsync(fromB);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Cluster, ApiV2Cluster), out var r) && r.ClientStatus == Acked) == 2);

        _host.Producer.SetMesh(_mesh.Key, _mesh
            .HttpRoute("api-router", "default", "/", ("api-v1", 100))
            .Delete("virtualNode", "", "api-v2")
            .Graph);
        foreach (var client in new[] { a, b })
        {
            var removal = await client.NextAsync();
            Assert.Empty(removal.Resources);
            Assert.Equal([ApiV2Cluster], removal.RemovedResources);
            await client.AckAsync(removal);
        }

        await Eventually.TrueAsync(() => _host.Streams.Streams.All(s => !s.Resources.ContainsKey((TypeUrls.Cluster, ApiV2Cluster))));
        Assert.All(_host.Streams.Streams, s => Assert.Equal(3, s.Resources.Keys.Count(k => k.Type == TypeUrls.Cluster)));
    }

    [Fact]
    public async Task The_Set_Lets_Go_Of_The_First_Response_Once_Every_Stream_Sent_It_Has_Answered()
    {
        await using var a = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await a.SendAsync(TypeUrls.Cluster);
        var fromA = await a.NextAsync();
        var set = Assert.Single(_host.Cache.Snapshots())[TypeUrls.Cluster];
        var version = Assert.Single(_host.Cache.Snapshots()).Version;

        // Unanswered, it is kept alive by the stream, whatever is collected.
        Collect();
        Assert.NotNull(set.FindFirstDeltaResponse(wildcard: true, names: null, version));

        await a.AckAsync(fromA);
        await _host.ProcessedAsync(TypeUrls.Cluster, ApiV2Cluster, Acked);
        await Eventually.TrueAsync(() =>
        {
            Collect();
            return set.FindFirstDeltaResponse(wildcard: true, names: null, version) is null;
        });
    }

    [Fact]
    public void A_First_Response_Carries_Resources_And_Removals_In_One_Message_And_Matches_Only_First_Responses()
    {
        var cluster = XdsResource.Create(TypeUrls.Cluster, "c1", new Cluster { Name = "c1" });
        var first = new DeltaChange(TypeUrls.Route, DeltaChange.FromNothing, wildcard: false, names: ["c1", "gone"], "v9", [cluster], ["gone"], oneResponse: true);

        Assert.True(SharedDeltaResponses.TryGetEncoding(first.UpsertResponse!, out _));
        var decoded = first.UpsertResponse!;
        Assert.Equal(["c1"], decoded.Resources.Select(r => r.Name));
        Assert.Equal(["gone"], decoded.RemovedResources);
        Assert.Null(first.RemovalResponse);
        Assert.True(first.Matches(DeltaChange.FromNothing, false, ["gone", "c1"], "v9", oneResponse: true));
        Assert.False(first.Matches(DeltaChange.FromNothing, false, ["gone", "c1"], "v9"));

        var change = new DeltaChange(TypeUrls.Route, DeltaChange.FromNothing, wildcard: false, names: ["c1", "gone"], "v9", [cluster], ["gone"]);
        Assert.False(first.SameClientPosition(change));
        Assert.Null(new DeltaChange(TypeUrls.Route, DeltaChange.FromNothing, false, ["x"], "v9", [], [], oneResponse: true).UpsertResponse);
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
