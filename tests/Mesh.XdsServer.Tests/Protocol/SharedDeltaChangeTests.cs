using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// On a change, the delta streams of one identity that held the same content and subscribe alike are sent one
/// response, worked out and encoded once (<see cref="DeltaChange"/>); a stream that subscribes otherwise gets its
/// own diff; and once a wildcard stream has ACKed the new content it no longer holds the earlier set.
/// </summary>
public sealed class SharedDeltaChangeTests : IAsyncLifetime
{
    private const string V1 = "cds_proxyless_demo_api-v1_http_9080", V2 = "cds_proxyless_demo_api-v2_http_9080";
    private const string Billing = "cds_egress_demo_billing_grpc_7000";

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
    public async Task Wildcard_Streams_In_Sync_Get_One_Shared_Response_That_Decodes_As_Envoy_Reads_It()
    {
        await using var a = await ConnectCdsAsync();
        await using var b = await ConnectCdsAsync();
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v2_http_9080", Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var fromA = await a.NextAsync();
        var fromB = await b.NextAsync();

        // What each client decoded off the wire is the new cluster alone, as a per-stream diff would send it.
        foreach (var response in new[] { fromA, fromB })
        {
            var resource = Assert.Single(response.Resources);
            Assert.Equal(Billing, resource.Name);
            Assert.Equal(Billing, resource.Resource_.Unpack<Cluster>().Name);
            Assert.Empty(response.RemovedResources);
        }

        // One response, made once (but the nonce, each stream's own), and one stream took it as made.
        Assert.Equal(Nonces.Cleared(fromA), Nonces.Cleared(fromB));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_delta_changes_shared_total", "type=\"cds\""));

        // Each stream's ACK of its nonce is recorded on that stream.
        await a.AckAsync(fromA);
        await b.AckAsync(fromB);
        await Eventually.TrueAsync(() => _host.Streams.Streams.All(s => s.Resources.TryGetValue((TypeUrls.Cluster, Billing), out var r) && r.ClientStatus == Acked));
    }

    [Fact]
    public async Task A_Stream_That_Names_Other_Resources_Gets_Its_Own_Diff()
    {
        await using var one = await ConnectEdsAsync([V1]);
        await using var same = await ConnectEdsAsync([V1]);
        await using var more = await ConnectEdsAsync([V1, V2]);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources.Values.Any(r => r.ClientStatus == Acked)) == 3);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.8", 9080).Node("api-v2", "127.0.0.9", 9080).Graph);
        var fromOne = await one.NextAsync();
        var fromSame = await same.NextAsync();
        var fromMore = await more.NextAsync();

        Assert.Equal([V1], fromOne.Resources.Select(r => r.Name));
        Assert.Equal(Nonces.Cleared(fromOne), Nonces.Cleared(fromSame));
        Assert.Equal([V1, V2], fromMore.Resources.Select(r => r.Name));
        Assert.Equal(
            ["127.0.0.8", "127.0.0.9"],
            fromMore.Resources.Select(r => r.Resource_.Unpack<ClusterLoadAssignment>().Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address));
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_delta_changes_shared_total", "type=\"eds\""));
    }

    [Fact]
    public async Task After_The_Ack_Of_A_Change_A_Wildcard_Stream_No_Longer_Holds_The_Earlier_Set()
    {
        await using var client = await ConnectCdsAsync();
        await _host.ProcessedAsync(TypeUrls.Cluster, "cds_egress_demo_api-v2_http_9080", Acked);
        var earlier = CurrentClusterSet();

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var change = await client.NextAsync();
        Assert.Equal([Billing], change.Resources.Select(r => r.Name));

        // Until the ACK the earlier set is the baseline of what the client holds; after it, nothing should keep it.
        await client.AckAsync(change);
        await _host.ProcessedAsync(TypeUrls.Cluster, Billing, Acked);
        await Eventually.TrueAsync(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return !earlier.IsAlive;
        });

        // CSDS still shows every cluster the client holds, ACKed.
        var status = Assert.Single(_host.Streams.Streams).Resources;
        Assert.Equal(5, status.Keys.Count(k => k.Type == TypeUrls.Cluster));
        Assert.All(status.Where(s => s.Key.Type == TypeUrls.Cluster), s => Assert.Equal(Acked, s.Value.ClientStatus));
    }

    [Fact]
    public async Task The_Marshaller_Writes_A_Shared_Response_As_The_Generated_One_Does_With_The_Writing_Streams_Nonce()
    {
        var cluster = XdsResource.Create(TypeUrls.Cluster, "c1", new Cluster { Name = "c1" });
        var change = new DeltaChange(TypeUrls.Cluster, "from", wildcard: true, names: null, "v9", [cluster], ["gone"]);
        var first = new DeltaChange(TypeUrls.Cluster, DeltaChange.FromNothing, wildcard: false, names: ["c1", "gone"], "v9", [cluster], ["gone"], oneResponse: true);
        Assert.Equal(["gone"], change.RemovalResponse!.RemovedResources);
        var generated = Marshallers.Create<DeltaDiscoveryResponse>(r => [0x2a], DeltaDiscoveryResponse.Parser.ParseFrom);
        var marshaller = SharedDeltaResponses.Marshaller(generated);

        // Resources, removals, and both in one response (the nonce, field 5, falls between them).
        var stream = new SharedDeltaWriter();
        foreach (var shared in new[] { change.UpsertResponse!, change.RemovalResponse, first.UpsertResponse! })
        {
            Assert.True(SharedDeltaResponses.TryGetEncoding(shared, out _));
            Assert.Empty(shared.Nonce);

            // Written by a stream, it carries the stream's nonce.
            var writer = new SerializingWriter(marshaller);
            await stream.WriteAsync(writer, shared, "17", CancellationToken.None);
            var withStreamNonce = shared.Clone();
            withStreamNonce.Nonce = "17";
            Assert.Equal(withStreamNonce.ToByteArray(), writer.Written);
        }

        // A response made per stream is serialised as the generated one does; one that was not shared is not
        // written as shared.
        Assert.Equal([0x2a], Serialize(marshaller, new DeltaDiscoveryResponse { Nonce = "1" }));
        await Assert.ThrowsAsync<ArgumentException>(() => stream.WriteAsync(new SerializingWriter(marshaller), new DeltaDiscoveryResponse(), "18", CancellationToken.None));
    }

    [Fact]
    public async Task A_Streams_Writer_Message_Serialised_Outside_Its_Write_Throws_Instead_Of_Going_Out_Empty()
    {
        // Between writes the message stands for no response; a writer that kept it and serialised it later would send
        // the client an empty response with a nonce (which it would ACK as though it carried the change).
        var cluster = XdsResource.Create(TypeUrls.Cluster, "c1", new Cluster { Name = "c1" });
        var change = new DeltaChange(TypeUrls.Cluster, "from", wildcard: true, names: null, "v9", [cluster], []);
        var marshaller = SharedDeltaResponses.Marshaller(Marshallers.Create<DeltaDiscoveryResponse>(r => r.ToByteArray(), DeltaDiscoveryResponse.Parser.ParseFrom));
        var keeping = new KeepingWriter();
        await new SharedDeltaWriter().WriteAsync(keeping, change.UpsertResponse!, "17", CancellationToken.None);

        var misuse = Assert.Throws<InvalidOperationException>(() => Serialize(marshaller, keeping.Kept!));
        Assert.Contains("outside its write", misuse.Message);
        Assert.Throws<InvalidOperationException>(() => SharedDeltaResponses.AsWritten(keeping.Kept!));
    }

    [Fact]
    public void Matching_Needs_The_Same_Earlier_Content_Subscription_And_Snapshot()
    {
        var change = new DeltaChange(TypeUrls.Route, "from", wildcard: false, names: ["a", "b"], "v9", [], []);

        Assert.True(change.Matches("from", false, ["b", "a"], "v9"));
        Assert.False(change.Matches("other", false, ["a", "b"], "v9"));
        Assert.False(change.Matches("from", false, ["a"], "v9"));
        Assert.False(change.Matches("from", false, ["a", "c"], "v9"));
        Assert.False(change.Matches("from", true, null, "v9"));
        Assert.False(change.Matches("from", false, ["a", "b"], "v10"));
        Assert.Null(change.UpsertResponse);
        Assert.Null(change.RemovalResponse);
    }

    private async Task<DeltaAdsClient> ConnectCdsAsync()
    {
        var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        Assert.Equal(4, cds.Resources.Count);
        await client.AckAsync(cds);
        return client;
    }

    private async Task<DeltaAdsClient> ConnectEdsAsync(string[] names)
    {
        var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Endpoint, names);
        var eds = await client.NextAsync();
        Assert.Equal(names, eds.Resources.Select(r => r.Name));
        await client.AckAsync(eds);
        return client;
    }

    /// <summary>A weak reference to the CDS set being served now; no reference to it is left on this stack.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference CurrentClusterSet() => new(Assert.Single(_host.Cache.Snapshots())[TypeUrls.Cluster]);

    private static byte[] Serialize(Marshaller<DeltaDiscoveryResponse> marshaller, DeltaDiscoveryResponse response)
    {
        var context = new RecordingSerializationContext();
        marshaller.ContextualSerializer(response, context);
        return context.Bytes;
    }

    /// <summary>A stream writer that keeps the message it is given and serialises nothing (no real writer does this).</summary>
    private sealed class KeepingWriter : IServerStreamWriter<DeltaDiscoveryResponse>
    {
        public DeltaDiscoveryResponse? Kept { get; private set; }

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(DeltaDiscoveryResponse message)
        {
            Kept = message;
            return Task.CompletedTask;
        }
    }

    /// <summary>A stream writer that serialises in its write, as gRPC's does.</summary>
    private sealed class SerializingWriter(Marshaller<DeltaDiscoveryResponse> marshaller) : IServerStreamWriter<DeltaDiscoveryResponse>
    {
        public byte[] Written { get; private set; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(DeltaDiscoveryResponse message)
        {
            Written = Serialize(marshaller, message);
            return Task.CompletedTask;
        }
    }
}
