using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>Virtual gateways and their gateway routes through the generated client.</summary>
public sealed class GeneratedClientGatewayTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task VirtualGatewayAndGatewayRoute_RoundTrip()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        await ShopServiceAsync(mesh);
        var gatewaySpec = GatewaySpec(maxConnections: 50);

        var gateway = await client.CreateVirtualGatewayAsync(mesh, new CreateVirtualGatewayInput { VirtualGatewayName = "edge", Spec = gatewaySpec });
        WireAssert.FullyDescribed(gateway);
        Assert.Equal(("edge", mesh), (gateway.VirtualGatewayName, gateway.MeshName));
        ResourceAssert.Metadata(gateway.Metadata, $"mesh/{mesh}/virtualGateway/edge", version: 1);
        Assert.Equal(VirtualGatewayStatusCode.ACTIVE, gateway.Status.Status);
        WireAssert.SameJson(gatewaySpec, gateway.Spec);
        WireAssert.SameJson(gateway, await client.DescribeVirtualGatewayAsync(mesh, "edge"));

        var routeSpec = new GatewayRouteSpec
        {
            Priority = 5,
            HttpRoute = new HttpGatewayRoute
            {
                Match = new HttpGatewayRouteMatch
                {
                    Prefix = "/shop/",
                    Hostname = new GatewayRouteHostnameMatch { Suffix = ".example.com" },
                },
                Action = new HttpGatewayRouteAction
                {
                    Target = new GatewayRouteTarget { VirtualService = new GatewayRouteVirtualService { VirtualServiceName = "shop.local" } },
                    Rewrite = new HttpGatewayRouteRewrite { Prefix = new HttpGatewayRoutePrefixRewrite { Value = "/" } },
                },
            },
        };
        var route = await client.CreateGatewayRouteAsync(mesh, "edge", new CreateGatewayRouteInput { GatewayRouteName = "shop", Spec = routeSpec });
        WireAssert.FullyDescribed(route);
        Assert.Equal(("shop", "edge", mesh), (route.GatewayRouteName, route.VirtualGatewayName, route.MeshName));
        ResourceAssert.Metadata(route.Metadata, $"mesh/{mesh}/virtualGateway/edge/gatewayRoute/shop", version: 1);
        Assert.Equal(GatewayRouteStatusCode.ACTIVE, route.Status.Status);
        WireAssert.SameJson(routeSpec, route.Spec);

        var described = await client.DescribeGatewayRouteAsync(mesh, "edge", "shop");
        WireAssert.FullyDescribed(described);
        WireAssert.SameJson(route, described);
        Assert.Equal("shop.local", described.Spec.HttpRoute!.Action.Target.VirtualService.VirtualServiceName);

        var listed = await client.ListGatewayRoutesAsync(mesh, "edge");
        WireAssert.FullyDescribed(listed);
        Assert.Equal((route.Metadata.Arn, "shop"), (Assert.Single(listed.GatewayRoutes).Arn, listed.GatewayRoutes.Single().GatewayRouteName));

        routeSpec.HttpRoute.Match.Prefix = "/store/";
        var updatedRoute = await client.UpdateGatewayRouteAsync(mesh, "edge", "shop", new UpdateGatewayRouteInput { Spec = routeSpec });
        WireAssert.FullyDescribed(updatedRoute);
        ResourceAssert.Updated(route.Metadata, updatedRoute.Metadata);
        WireAssert.SameJson(routeSpec, updatedRoute.Spec);

        var biggerPool = GatewaySpec(maxConnections: 500);
        var updatedGateway = await client.UpdateVirtualGatewayAsync(mesh, "edge", new UpdateVirtualGatewayInput { Spec = biggerPool });
        ResourceAssert.Updated(gateway.Metadata, updatedGateway.Metadata);
        WireAssert.SameJson(biggerPool, updatedGateway.Spec);
        Assert.Single((await client.ListVirtualGatewaysAsync(mesh)).VirtualGateways, g => g.VirtualGatewayName == "edge" && g.Version == 2);

        Assert.Equal(GatewayRouteStatusCode.DELETED, (await client.DeleteGatewayRouteAsync(mesh, "edge", "shop")).Status.Status);
        var deleted = await client.DeleteVirtualGatewayAsync(mesh, "edge");
        WireAssert.FullyDescribed(deleted);
        Assert.Equal(VirtualGatewayStatusCode.DELETED, deleted.Status.Status);
    }

    /// <summary>A gateway route's target must exist: the virtual service shop.local, provided by a node.</summary>
    private async Task ShopServiceAsync(string mesh)
    {
        await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput { VirtualNodeName = "shop", Spec = new VirtualNodeSpec() });
        await client.CreateVirtualServiceAsync(mesh, new CreateVirtualServiceInput
        {
            VirtualServiceName = "shop.local",
            Spec = new VirtualServiceSpec { Provider = new VirtualServiceProvider { VirtualNode = new VirtualNodeServiceProvider { VirtualNodeName = "shop" } } },
        });
    }

    private static VirtualGatewaySpec GatewaySpec(int maxConnections) => new()
    {
        Listeners =
        [
            new VirtualGatewayListener
            {
                PortMapping = new VirtualGatewayPortMapping { Port = 8443, Protocol = VirtualGatewayPortProtocol.Http },
                HealthCheck = new VirtualGatewayHealthCheckPolicy
                {
                    Protocol = VirtualGatewayPortProtocol.Http,
                    Path = "/healthz",
                    HealthyThreshold = 2,
                    UnhealthyThreshold = 2,
                    IntervalMillis = 10000,
                    TimeoutMillis = 3000,
                },
                ConnectionPool = new VirtualGatewayConnectionPool
                {
                    Http = new VirtualGatewayHttpConnectionPool { MaxConnections = maxConnections, MaxPendingRequests = 20 },
                },
            },
        ],
        Logging = new VirtualGatewayLogging
        {
            AccessLog = new VirtualGatewayAccessLog { File = new VirtualGatewayFileAccessLog { Path = "/dev/stdout" } },
        },
    };
}
