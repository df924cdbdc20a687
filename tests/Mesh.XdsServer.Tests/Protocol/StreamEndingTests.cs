using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A stream whose proxy goes away (its call cancelled) ends on the server with its one cancellation source: the
/// stream leaves the registry, and the server's other streams and the stop token are untouched.
/// </summary>
public sealed class StreamEndingTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_Sotw_Stream_Cancelled_By_Its_Proxy_Ends_And_The_Others_Keep_Working()
    {
        await using var stays = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await stays.SendAsync(TypeUrls.Cluster);
        await stays.AckAsync(await stays.NextAsync());

        using var cancel = new CancellationTokenSource();
        var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_host.Channel).StreamAggregatedResources(cancellationToken: cancel.Token);
        var leaves = AdsClient.Connect(call, MeshRows.NodeId("api-v1"));
        await leaves.SendAsync(TypeUrls.Cluster);
        await leaves.AckAsync(await leaves.NextAsync());
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Identity is not null) == 2);

        await cancel.CancelAsync();

        await Eventually.TrueAsync(() => _host.Streams.Streams.All(s => s.Identity?.Name != "api-v1"));
        var remaining = Assert.Single(_host.Streams.Streams);
        Assert.Equal("web", remaining.Identity?.Name);

        // The stream that stayed still gets what changes for it.
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var update = await stays.NextAsync();
        Assert.Equal(TypeUrls.Cluster, update.TypeUrl);
        call.Dispose();
    }

    [Fact]
    public async Task A_Delta_Stream_Cancelled_By_Its_Proxy_Ends()
    {
        using var cancel = new CancellationTokenSource();
        var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_host.Channel).DeltaAggregatedResources(cancellationToken: cancel.Token);
        var client = DeltaAdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        Assert.Single(_host.Streams.Streams);

        await cancel.CancelAsync();

        await Eventually.TrueAsync(() => !_host.Streams.Streams.Any());
        var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Cancelled, ended.StatusCode);
        call.Dispose();
    }
}
