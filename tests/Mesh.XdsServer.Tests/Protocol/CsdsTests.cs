using Envoy.Admin.V3;
using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>CSDS reports, for each connected proxy, every resource's version and whether it was ACKed or NACKed.</summary>
public sealed class CsdsTests : IAsyncLifetime
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
    public async Task Reports_Acked_And_Nacked_Resources_Per_Proxy()
    {
        await using var web = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await web.SendAsync(TypeUrls.Cluster);
        var webCds = await web.NextAsync();
        await web.AckAsync(webCds);

        await using var api = AdsClient.Connect(_host.Channel, MeshRows.NodeId("api-v1"));
        await api.SendAsync(TypeUrls.Cluster);
        var apiCds = await api.NextAsync();
        await api.NackAsync(apiCds, "", "bad cluster");

        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(_host.Channel);
        await Eventually.TrueAsync(async () =>
        {
            var all = await csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout();
            return all.Config.SelectMany(c => c.GenericXdsConfigs).Count(g => g.ClientStatus is ClientResourceStatus.Acked or ClientResourceStatus.Nacked) == 6;
        });

        var request = new ClientStatusRequest();
        request.NodeMatchers.Add(new NodeMatcher { NodeId = new StringMatcher { Exact = MeshRows.NodeId("web") } });
        var webStatus = Assert.Single((await csds.FetchClientStatusAsync(request).ResponseAsync.DefaultTimeout()).Config);
        Assert.Equal(MeshRows.NodeId("web"), webStatus.Node.Id);
        Assert.Equal(4, webStatus.GenericXdsConfigs.Count);
        Assert.All(webStatus.GenericXdsConfigs, g =>
        {
            Assert.Equal(ClientResourceStatus.Acked, g.ClientStatus);
            Assert.Equal(ConfigStatus.Synced, g.ConfigStatus);
            Assert.Equal(TypeUrls.Cluster, g.TypeUrl);
        });

        request.NodeMatchers[0].NodeId = new StringMatcher { Suffix = "api-v1" };
        var apiStatus = Assert.Single((await csds.FetchClientStatusAsync(request).ResponseAsync.DefaultTimeout()).Config);
        Assert.All(apiStatus.GenericXdsConfigs, nacked =>
        {
            Assert.Equal(ClientResourceStatus.Nacked, nacked.ClientStatus);
            Assert.Equal(ConfigStatus.Error, nacked.ConfigStatus);
            Assert.Contains("bad cluster", nacked.ErrorState.Details);
        });
        Assert.Equal(
            apiCds.Resources.Select(r => r.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name).Order(StringComparer.Ordinal),
            apiStatus.GenericXdsConfigs.Select(g => g.Name).Order(StringComparer.Ordinal));
    }
}
