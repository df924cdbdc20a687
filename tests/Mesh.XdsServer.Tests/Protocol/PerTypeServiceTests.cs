using Envoy.Service.Cluster.V3;
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
        _host.Cache.SetMesh(mesh.Key, mesh.Graph);
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
        Assert.Equal(3, cds.Resources.Count);
    }

    [Fact]
    public async Task Sds_Stream_Answers_A_Wildcard_With_The_Empty_Set()
    {
        var call = new SecretDiscoveryService.SecretDiscoveryServiceClient(_host.Channel).StreamSecrets();
        await using var client = AdsClient.Connect(call, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Secret);
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
}
