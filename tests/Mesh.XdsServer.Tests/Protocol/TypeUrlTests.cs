using System.Net.Http.Json;
using Grpc.Core;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// What an ADS request's type_url may be. A type the server does not serve is ignored, and the stream goes on
/// serving the others, but not silently: it is counted in /metrics and each stream's unsupported types are in proxy
/// status. No type_url at all cannot be served on an aggregated stream (xDS: type_url is required on ADS), so it ends
/// the stream with INVALID_ARGUMENT, counted as a rejected stream, as go-control-plane does.
/// </summary>
public sealed class TypeUrlTests : IAsyncLifetime
{
    private const string VirtualHosts = "type.googleapis.com/envoy.config.route.v3.VirtualHost";
    private const string Runtime = "type.googleapis.com/envoy.service.runtime.v3.Runtime";
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_Unsupported_Type_Is_Counted_And_Shown_In_Proxy_Status_And_The_Stream_Serves_The_Others()
    {
        await using var sotw = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await sotw.SendAsync(VirtualHosts, ["rds_egress_http_9080/api.demo.local"]);
        await sotw.SendAsync(Runtime);
        await sotw.SendAsync(VirtualHosts);
        await sotw.SendAsync(TypeUrls.Cluster);
        Assert.Equal(TypeUrls.Cluster, (await sotw.NextAsync()).TypeUrl);

        await using var delta = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("api-v1"));
        await delta.SendAsync(Runtime);
        await delta.SendAsync(TypeUrls.Cluster);
        Assert.Equal(TypeUrls.Cluster, (await delta.NextAsync()).TypeUrl);

        Assert.Equal(4, _host.Metrics.Get("mesh_xds_unsupported_type_requests_total"));
        var report = await _host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal([VirtualHosts, Runtime], report!.Proxies.Single(p => p.Name == "web").UnsupportedTypes);
        Assert.Equal([Runtime], report.Proxies.Single(p => p.Name == "api-v1").UnsupportedTypes);
        Assert.Contains($"UNSUPPORTED {MeshRows.NodeId("web")} asked for types this server does not serve: {VirtualHosts}, {Runtime}", ProxyStatusCommand.Render(report));
    }

    [Fact]
    public async Task Without_A_Type_Url_An_Ads_Stream_Ends_With_Invalid_Argument_And_Is_Counted()
    {
        await using var sotw = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await sotw.SendAsync(TypeUrls.Cluster);
        await sotw.NextAsync();
        await sotw.SendAsync("");
        var closed = await sotw.ClosedAsync();
        Assert.Equal(StatusCode.InvalidArgument, closed.StatusCode);
        Assert.Contains("must set type_url", closed.Status.Detail);

        await using var delta = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await delta.SendAsync("");
        var deltaClosed = await Assert.ThrowsAsync<RpcException>(delta.NextAsync);
        Assert.Equal(StatusCode.InvalidArgument, deltaClosed.StatusCode);

        Assert.Equal(2, _host.Metrics.Get("mesh_xds_streams_rejected_total", "reason=\"no_type_url\""));
        Assert.Equal(0, _host.Metrics.Get("mesh_xds_unsupported_type_requests_total"));
    }
}
