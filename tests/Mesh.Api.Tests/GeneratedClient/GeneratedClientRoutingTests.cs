using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;
using HttpMethod = Mesh.Api.Client.HttpMethod;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>Virtual routers, their routes and the virtual services they provide, through the generated client.</summary>
public sealed class GeneratedClientRoutingTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task VirtualRouterAndRoute_RoundTrip()
    {
        var mesh = await MeshWithNodesAsync("orders-v1", "orders-v2");
        var routerSpec = new VirtualRouterSpec { Listeners = [new VirtualRouterListener { PortMapping = new PortMapping { Port = 8080, Protocol = PortProtocol.Http } }] };

        var router = await client.CreateVirtualRouterAsync(mesh, new CreateVirtualRouterInput { VirtualRouterName = "orders", Spec = routerSpec });
        WireAssert.FullyDescribed(router);
        ResourceAssert.Metadata(router.Metadata, $"mesh/{mesh}/virtualRouter/orders", version: 1);
        Assert.Equal(VirtualRouterStatusCode.ACTIVE, router.Status.Status);
        WireAssert.SameJson(routerSpec, router.Spec);
        WireAssert.SameJson(router, await client.DescribeVirtualRouterAsync(mesh, "orders"));

        var spec = WeightedHttpRoute(70, 30);
        var route = await client.CreateRouteAsync(mesh, "orders", new CreateRouteInput { RouteName = "split", Spec = spec });
        WireAssert.FullyDescribed(route);
        Assert.Equal(("split", "orders", mesh), (route.RouteName, route.VirtualRouterName, route.MeshName));
        ResourceAssert.Metadata(route.Metadata, $"mesh/{mesh}/virtualRouter/orders/route/split", version: 1);
        Assert.Equal(RouteStatusCode.ACTIVE, route.Status.Status);
        WireAssert.SameJson(spec, route.Spec);

        var described = await client.DescribeRouteAsync(mesh, "orders", "split");
        WireAssert.FullyDescribed(described);
        WireAssert.SameJson(route, described);
        Assert.Equal([("orders-v1", 70), ("orders-v2", 30)], described.Spec.HttpRoute!.Action.WeightedTargets.Select(t => (t.VirtualNode, t.Weight)));
        Assert.Equal(HttpMethod.POST, described.Spec.HttpRoute.Match.Method);
        Assert.Equal("yes", Assert.Single(described.Spec.HttpRoute.Match.Headers!).Match!.Exact);

        var routes = await client.ListRoutesAsync(mesh, "orders");
        WireAssert.FullyDescribed(routes);
        var reference = Assert.Single(routes.Routes);
        Assert.Equal((route.Metadata.Arn, "split", "orders"), (reference.Arn, reference.RouteName, reference.VirtualRouterName));

        var shifted = WeightedHttpRoute(10, 90);
        var updated = await client.UpdateRouteAsync(mesh, "orders", "split", new UpdateRouteInput { Spec = shifted });
        WireAssert.FullyDescribed(updated);
        ResourceAssert.Updated(route.Metadata, updated.Metadata);
        WireAssert.SameJson(shifted, updated.Spec);

        routerSpec.Listeners.Single().PortMapping.Port = 9090;
        var updatedRouter = await client.UpdateVirtualRouterAsync(mesh, "orders", new UpdateVirtualRouterInput { Spec = routerSpec });
        ResourceAssert.Updated(router.Metadata, updatedRouter.Metadata);
        Assert.Equal(9090, updatedRouter.Spec.Listeners!.Single().PortMapping.Port);
        Assert.Single((await client.ListVirtualRoutersAsync(mesh)).VirtualRouters, r => r.VirtualRouterName == "orders" && r.Version == 2);

        var deletedRoute = await client.DeleteRouteAsync(mesh, "orders", "split");
        Assert.Equal(RouteStatusCode.DELETED, deletedRoute.Status.Status);
        var deletedRouter = await client.DeleteVirtualRouterAsync(mesh, "orders");
        WireAssert.FullyDescribed(deletedRouter);
        Assert.Equal(VirtualRouterStatusCode.DELETED, deletedRouter.Status.Status);
    }

    [Fact]
    public async Task VirtualService_RoundTripsAndSwitchesProvider()
    {
        var mesh = await MeshWithNodesAsync("orders-v1");
        await client.CreateVirtualRouterAsync(mesh, new CreateVirtualRouterInput
        {
            VirtualRouterName = "orders",
            Spec = new VirtualRouterSpec { Listeners = [new VirtualRouterListener { PortMapping = new PortMapping { Port = 8080, Protocol = PortProtocol.Http } }] },
        });
        var byRouter = new VirtualServiceSpec { Provider = new VirtualServiceProvider { VirtualRouter = new VirtualRouterServiceProvider { VirtualRouterName = "orders" } } };

        var created = await client.CreateVirtualServiceAsync(mesh, new CreateVirtualServiceInput { VirtualServiceName = "orders.local", Spec = byRouter });
        WireAssert.FullyDescribed(created);
        ResourceAssert.Metadata(created.Metadata, $"mesh/{mesh}/virtualService/orders.local", version: 1);
        Assert.Equal(VirtualServiceStatusCode.ACTIVE, created.Status.Status);
        WireAssert.SameJson(byRouter, created.Spec);
        Assert.Null(created.Spec.Provider!.VirtualNode);

        var byNode = new VirtualServiceSpec { Provider = new VirtualServiceProvider { VirtualNode = new VirtualNodeServiceProvider { VirtualNodeName = "orders-v1" } } };
        var updated = await client.UpdateVirtualServiceAsync(mesh, "orders.local", new UpdateVirtualServiceInput { Spec = byNode });
        ResourceAssert.Updated(created.Metadata, updated.Metadata);
        WireAssert.SameJson(byNode, updated.Spec);
        Assert.Null(updated.Spec.Provider!.VirtualRouter);

        var described = await client.DescribeVirtualServiceAsync(mesh, "orders.local");
        WireAssert.SameJson(updated, described);
        var listed = await client.ListVirtualServicesAsync(mesh);
        WireAssert.FullyDescribed(listed);
        Assert.Equal(("orders.local", 2L), (Assert.Single(listed.VirtualServices).VirtualServiceName, listed.VirtualServices.Single().Version));

        var deleted = await client.DeleteVirtualServiceAsync(mesh, "orders.local");
        Assert.Equal(VirtualServiceStatusCode.DELETED, deleted.Status.Status);
        Assert.Empty((await client.ListVirtualServicesAsync(mesh)).VirtualServices);
    }

    private async Task<string> MeshWithNodesAsync(params string[] nodes)
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        foreach (var node in nodes)
        {
            await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput
            {
                VirtualNodeName = node,
                Spec = new VirtualNodeSpec { Listeners = [new Listener { PortMapping = new PortMapping { Port = 8080, Protocol = PortProtocol.Http } }] },
            });
        }

        return mesh;
    }

    private static RouteSpec WeightedHttpRoute(int first, int second) => new()
    {
        Priority = 10,
        HttpRoute = new HttpRoute
        {
            Match = new HttpRouteMatch
            {
                Prefix = "/orders",
                Method = HttpMethod.POST,
                Scheme = HttpScheme.Https,
                Headers = [new HttpRouteHeader { Name = "x-canary", Match = new HeaderMatchMethod { Exact = "yes" } }],
            },
            Action = new HttpRouteAction
            {
                WeightedTargets =
                [
                    new WeightedTarget { VirtualNode = "orders-v1", Weight = first },
                    new WeightedTarget { VirtualNode = "orders-v2", Weight = second },
                ],
            },
            RetryPolicy = new HttpRetryPolicy
            {
                MaxRetries = 3,
                PerRetryTimeout = new Duration { Unit = DurationUnit.Ms, Value = 250 },
                HttpRetryEvents = ["server-error", "gateway-error"],
                TcpRetryEvents = [TcpRetryPolicyEvent.ConnectionError],
            },
            Timeout = new HttpTimeout { PerRequest = new Duration { Unit = DurationUnit.S, Value = 5 } },
        },
    };
}
