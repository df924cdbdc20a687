using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Tests.Support;
using Mesh.Translation;

namespace Mesh.XdsServer.Tests.ProxyStatus;

/// <summary>
/// Proxy status for real proxyless clients (gRPC C-core from python3-grpcio, @grpc/grpc-js-xds): first every type
/// SYNCED, then a route configuration both reject (the domain 'a*b') shows as an RDS NACK with the client's own
/// error, while the client keeps its last good configuration.
/// </summary>
public sealed class RealClientProxyStatusTests : IAsyncLifetime
{
    private const string Service = "envoy.service.status.v3.ClientStatusDiscoveryService";
    private readonly RejectableTranslator _translator = new(new MeshTranslator());
    private XdsTestHost _host = null!;
    private NamedBackend _one = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _one = await NamedBackend.StartAsync("backend-1");
        _host = await XdsTestHost.StartAsync(translator: _translator, settings: new Dictionary<string, string?> { ["Xds:ProxyStatus:ReplicaId"] = "xds-real" });
        _mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", _one.Port, "grpc")
            .Router("api-router", 7000, "grpc")
            .GrpcRoute("api-router", "default", Service, ("api-v1", 100))
            .ServiceByRouter("api.demo.local", "api-router");
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _one.DisposeAsync();
    }

    [Fact]
    public async Task Python_Grpcio_Shows_Synced_Then_An_Rds_Nack()
    {
        await using var client = await RealClient.StartPythonAsync(_host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local");
        await SyncedThenNackedAsync(client);
    }

    [Fact]
    public async Task Grpc_Js_Xds_Shows_Synced_Then_An_Rds_Nack()
    {
        await using var client = await RealClient.StartNodeAsync(_host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local");
        await SyncedThenNackedAsync(client);
    }

    private async Task SyncedThenNackedAsync(RealClient client)
    {
        Assert.Equal(new Dictionary<string, int> { ["backend-1"] = 3 }, await client.CallAsync(3));
        var synced = await Eventually.ValueAsync(async () =>
        {
            var web = (await ReportAsync()).Proxies.SingleOrDefault(p => p.NodeId == MeshRows.NodeId("web"));
            return web is not null && web.Types.Count == 4 && web.Types.Values.All(t => t.Sync == "SYNCED") ? web : null;
        });
        Assert.Equal(["cds", "eds", "lds", "rds"], synced.Types.Keys);
        Assert.All(synced.Types.Values, t => Assert.True(t.Acked > 0 && t.AckedVersion is not null && t.LastAck is not null));
        var goodRds = synced.Types["rds"].AckedVersion;

        _translator.RejectRoutes = true;
        // A change web's configuration reads (its route, written again), so that web is translated again; a change
        // to an unrelated node would leave web's snapshot as it is.
        _host.Producer.SetMesh(_mesh.Key, _mesh.GrpcRoute("api-router", "default", Service, ("api-v1", 100)).Graph);
        var nacked = await Eventually.ValueAsync(async () =>
        {
            var web = (await ReportAsync()).Proxies.SingleOrDefault(p => p.NodeId == MeshRows.NodeId("web"));
            return web?.Types.GetValueOrDefault("rds") is { Sync: "NACKED" } ? web : null;
        });
        var rds = nacked.Types["rds"];
        Assert.NotNull(rds.LastNack);
        Assert.NotEqual(goodRds, rds.LastNack.Version);
        Assert.False(string.IsNullOrWhiteSpace(rds.LastNack.Error));
        Assert.Equal("SYNCED", nacked.Types["cds"].Sync);

        // The client keeps its last good route and still reaches the backend.
        Assert.Equal(new Dictionary<string, int> { ["backend-1"] = 3 }, await client.CallAsync(3));

        using var output = new StringWriter();
        Assert.Equal(0, await ProxyStatusCommand.RunAsync(["--url", _host.AdminUri.ToString()], output, TextWriter.Null, TaskTimeouts.Token()).DefaultTimeout());
        Assert.Contains($"NACK    {MeshRows.NodeId("web")} RDS version {rds.LastNack.Version}: ", output.ToString());
    }

    private async Task<ProxyStatusReport> ReportAsync() =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<ProxyStatusReport>(_host.Admin, "/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token()).DefaultTimeout())!;

    /// <summary>The product's translation; once told to, every route configuration gains a virtual host whose domain both clients reject.</summary>
    private sealed class RejectableTranslator(IProxyTranslator inner) : IProxyTranslator
    {
        public volatile bool RejectRoutes;

        public ProxyResources TranslateProxy(MeshGraph mesh, ProxyTarget target)
        {
            var resources = inner.TranslateProxy(mesh, target);
            if (!RejectRoutes)
            {
                return resources;
            }

            return resources with
            {
                RouteConfigurations = resources.RouteConfigurations.Select(r =>
                {
                    var copy = r.Clone();
                    copy.VirtualHosts.Add(new VirtualHost { Name = "rejected", Domains = { "a*b" }, Routes = { new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = r.VirtualHosts[0].Routes[0].Route_.Clone() } } });
                    return copy;
                }).ToList(),
            };
        }
    }
}
