using Envoy.Config.Core.V3;
using Envoy.Service.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Listener.V3;
using Envoy.Service.Secret.V3;
using Grpc.Core;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>The per-type services (LDS, RDS, CDS, EDS, SDS) run the same sessions as ADS, one type each.</summary>
public sealed class PerTypeServiceTests : IAsyncLifetime
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
    public async Task Lds_Stream_Serves_Listeners()
    {
        var call = new ListenerDiscoveryService.ListenerDiscoveryServiceClient(_host.Channel).StreamListeners();
        await using var client = AdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();
        Assert.Equal(TypeUrls.Listener, lds.TypeUrl);
        Assert.Equal(2, lds.Resources.Count);
    }

    [Fact]
    public async Task Cds_Delta_Stream_Serves_Clusters_With_An_Empty_Type_Url()
    {
        var call = new ClusterDiscoveryService.ClusterDiscoveryServiceClient(_host.Channel).DeltaClusters();
        await using var client = DeltaAdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync("");
        var cds = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, cds.TypeUrl);
        Assert.Equal(4, cds.Resources.Count); // allow-all, 2 egress, ingress (the proxyless EDS clusters are on demand)
    }

    [Fact]
    public async Task Sds_Stream_Answers_A_Wildcard_With_The_Empty_Set()
    {
        var call = new SecretDiscoveryService.SecretDiscoveryServiceClient(_host.Channel).StreamSecrets();
        await using var client = AdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Secret, ["*"]);
        var sds = await client.NextAsync();
        Assert.Equal(TypeUrls.Secret, sds.TypeUrl);
        Assert.Empty(sds.Resources);
    }

    [Fact]
    public async Task Asking_A_Per_Type_Service_For_Another_Type_Is_An_Error()
    {
        var call = new ListenerDiscoveryService.ListenerDiscoveryServiceClient(_host.Channel).StreamListeners();
        await using var client = AdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.InvalidArgument, closed.StatusCode);
    }

    [Fact]
    public async Task Fetch_Returns_The_Current_Resources_With_The_Stream_Version()
    {
        var cds = new ClusterDiscoveryService.ClusterDiscoveryServiceClient(_host.Channel);
        var all = await cds.FetchClustersAsync(new DiscoveryRequest { Node = new Node { Id = MeshRows.NodeId("web") } }).ResponseAsync.DefaultTimeout();
        var named = new DiscoveryRequest { Node = new Node { Id = MeshRows.NodeId("web") }, ResourceNames = { "cds_ingress_demo_web_http_8080" } };
        var one = await cds.FetchClustersAsync(named).ResponseAsync.DefaultTimeout();

        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        Assert.Equal((await client.NextAsync()).VersionInfo, all.VersionInfo);
        Assert.Equal(4, all.Resources.Count);
        Assert.Single(one.Resources);
    }

    [Fact]
    public async Task Fetch_Of_The_Wildcard_And_A_Named_Resource_Returns_Both_As_A_Stream_Would()
    {
        // xDS "wildcard plus named": "*" beside a name outside the wildcard (the proxyless api_listener) asks for both.
        string[] names = ["*", "api.demo.local:9080"];
        var lds = new ListenerDiscoveryService.ListenerDiscoveryServiceClient(_host.Channel);
        var fetched = await lds.FetchListenersAsync(new DiscoveryRequest { Node = new Node { Id = MeshRows.NodeId("web") }, ResourceNames = { names } }).ResponseAsync.DefaultTimeout();

        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Listener, names);
        var streamed = await client.NextAsync();

        Assert.Equal(
            ["api.demo.local:9080", "lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"],
            AdsClient.Unpack<Envoy.Config.Listener.V3.Listener>(fetched).Select(l => l.Name));
        Assert.Equal(streamed.VersionInfo, fetched.VersionInfo);
    }

    [Theory]
    [InlineData("mesh/demo/virtualNode/newbie", StatusCode.Unavailable)]
    [InlineData("newbie", StatusCode.InvalidArgument)]
    public async Task Fetch_For_A_Proxy_Without_Configuration_Fails_With_A_Status(string nodeId, StatusCode expected)
    {
        var lds = new ListenerDiscoveryService.ListenerDiscoveryServiceClient(_host.Channel);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            lds.FetchListenersAsync(new DiscoveryRequest { Node = new Node { Id = nodeId } }).ResponseAsync.DefaultTimeout());
        Assert.Equal(expected, error.StatusCode);
    }
}
