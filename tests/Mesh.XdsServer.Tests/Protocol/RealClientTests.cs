using Envoy.Service.Status.V3;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// The "done when": real xDS clients (gRPC C-core from Debian's python3-grpcio, and @grpc/grpc-js-xds)
/// resolve <c>xds:///api.demo.local</c> through this server, reach the backend the route names, follow a route
/// change without reconnecting, and show up in CSDS with every resource ACKed.
/// </summary>
public sealed class RealClientTests : IAsyncLifetime
{
    private const string Service = "envoy.service.status.v3.ClientStatusDiscoveryService";
    private XdsTestHost _host = null!;
    private NamedBackend _one = null!;
    private NamedBackend _two = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _one = await NamedBackend.StartAsync("backend-1");
        _two = await NamedBackend.StartAsync("backend-2");
        _host = await XdsTestHost.StartAsync();
        _mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", _one.Port, "grpc")
            .Node("api-v2", "127.0.0.1", _two.Port, "grpc")
            .Router("api-router", 7000, "grpc")
            .GrpcRoute("api-router", "default", Service, ("api-v1", 100))
            .ServiceByRouter("api.demo.local", "api-router");
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _one.DisposeAsync();
        await _two.DisposeAsync();
    }

    [Fact]
    public async Task Python_Grpcio_Follows_A_Route_Change_And_Shows_In_Csds()
    {
        await using var client = await RealClient.StartPythonAsync(_host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local");
        await FollowsRouteChangeAsync(client, "C-core");
    }

    [Fact]
    public async Task Grpc_Js_Xds_Follows_A_Route_Change_And_Shows_In_Csds()
    {
        await using var client = await RealClient.StartNodeAsync(_host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local");
        await FollowsRouteChangeAsync(client, "Node");
    }

    private async Task FollowsRouteChangeAsync(RealClient client, string userAgent)
    {
        Assert.Equal(new Dictionary<string, int> { ["backend-1"] = 5 }, await client.CallAsync(5));

        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(_host.Channel);
        var config = await Eventually.ValueAsync(async () =>
        {
            var status = await csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout();
            return status.Config.FirstOrDefault(c => c.GenericXdsConfigs.Count == 4
                && c.GenericXdsConfigs.All(g => g.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked));
        });
        Assert.Contains(userAgent, config.Node.UserAgentName);
        Assert.Equal(
            ["api.demo.local", "cds_proxyless_demo_api-v1_grpc_" + _one.Port, "cds_proxyless_demo_api-v1_grpc_" + _one.Port, "rds_proxyless_api.demo.local_7000"],
            config.GenericXdsConfigs.Select(g => g.Name).Order(StringComparer.Ordinal));

        _host.Producer.SetMesh(_mesh.Key, _mesh.GrpcRoute("api-router", "default", Service, ("api-v2", 100)).Graph);

        // The client picks the change up on its open stream; calls move over once it has applied it.
        await Eventually.TrueAsync(async () => (await client.CallAsync(5)).GetValueOrDefault("backend-2") == 5);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_streams_opened_total", "variant=\"ads\""));
    }
}
