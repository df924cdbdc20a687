using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// What a proxyless gRPC client (target <c>xds:///NAME</c>) walks: Listener NAME with an api_listener, its route
/// configuration, EDS clusters, and endpoints that are literal IPs in a weighted locality (docs/design.md, "Known
/// behaviour of the real xDS clients").
/// </summary>
public sealed class ProxylessTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("api.demo.local")]
    [InlineData("api.demo.local:9080")]
    public async Task Listener_By_Service_Name_Leads_To_Literal_Ip_Endpoints(string target)
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));

        await client.SendAsync(TypeUrls.Listener, [target]);
        var listener = Assert.Single(AdsClient.Unpack<Listener>(await client.NextAsync()));
        Assert.Equal(target, listener.Name);
        var hcm = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.NotNull(hcm.Rds.ConfigSource.Ads);
        Assert.True(hcm.HttpFilters[^1].TypedConfig.Is(Router.Descriptor));

        await client.SendAsync(TypeUrls.Route, [hcm.Rds.RouteConfigName]);
        var routes = Assert.Single(AdsClient.Unpack<RouteConfiguration>(await client.NextAsync()));
        var host = Assert.Single(routes.VirtualHosts, h => h.Domains.Contains(target));
        var clusters = host.Routes[0].Route_.WeightedClusters.Clusters.Select(c => c.Name).ToList();
        Assert.Equal(["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"], clusters);

        await client.SendAsync(TypeUrls.Cluster, clusters);
        var cds = AdsClient.Unpack<Cluster>(await client.NextAsync());
        Assert.All(cds, c => Assert.Equal(Cluster.Types.DiscoveryType.Eds, c.Type));
        Assert.All(cds, c => Assert.NotNull(c.EdsClusterConfig.EdsConfig.Ads));

        await client.SendAsync(TypeUrls.Endpoint, clusters);
        var eds = AdsClient.Unpack<ClusterLoadAssignment>(await client.NextAsync());
        Assert.Equal(["127.0.0.1", "127.0.0.2"], eds.Select(a => a.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address));
        Assert.All(eds, a => Assert.NotNull(a.Endpoints[0].Locality));
        Assert.All(eds, a => Assert.Equal(1u, a.Endpoints[0].LoadBalancingWeight));
        Assert.All(eds, a => Assert.Equal(9080u, a.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue));
    }
}
