using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>Missing references are NotFound; deleting something still in use is ResourceInUse.</summary>
public sealed class ReferenceTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task ServiceProvider_MustExist()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new JsonObject { ["virtualServiceName"] = "s", ["spec"] = Specs.ServiceByNode("ghost") });
        response.AssertError(404, "NotFoundException");
        Assert.Contains($"spec.provider.virtualNode.virtualNodeName: virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist", response.Message);
    }

    [Fact]
    public async Task RouteTarget_MustExist()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("ghost", 100)) });
        response.AssertError(404, "NotFoundException");
        Assert.Contains("spec.httpRoute.action.weightedTargets[0].virtualNode: virtual node 'ghost'", response.Message);
    }

    [Fact]
    public async Task GatewayRouteTarget_MustExist()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("gw");
        var response = await api.SendAsync(HttpMethod.Put, Paths.GatewayRoutes(mesh.Mesh, "gw"),
            new JsonObject { ["gatewayRouteName"] = "r", ["spec"] = Specs.GatewayRoute("ghost.local") });
        response.AssertError(404, "NotFoundException");
        Assert.Contains("virtual service 'ghost.local'", response.Message);
    }

    [Fact]
    public async Task ChildrenOfMissingParents_AreNotFound()
    {
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes("no-such-mesh"),
            new JsonObject { ["virtualNodeName"] = "n", ["spec"] = Specs.VirtualNode() })).AssertError(404, "NotFoundException");
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Get, Paths.Route(mesh.Mesh, "no-router", "r"));
        response.AssertError(404, "NotFoundException");
        Assert.Contains("Virtual router 'no-router'", response.Message);
        (await api.SendAsync(HttpMethod.Get, Paths.Routes(mesh.Mesh, "no-router"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task Backends_MayNameServicesThatDoNotExistYet()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("a", Specs.VirtualNode(8080, "b.local"));
        await mesh.NodeAsync("b", Specs.VirtualNode(8080, "a.local"));
        await mesh.ServiceAsync("a.local", Specs.ServiceByNode("a"));
        await mesh.ServiceAsync("b.local", Specs.ServiceByNode("b"));
    }

    [Fact]
    public async Task Mesh_InUseWhileItContainsAnything()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var response = await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh));
        response.AssertError(409, "ResourceInUseException");
        Assert.Contains($"Mesh '{mesh.Mesh}' still contains 1 resource: virtual node 'web'; delete them first.", response.Message);
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh))).AssertOk();
    }

    [Fact]
    public async Task Mesh_InUse_NamesTenAndCountsTheRest()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        for (var i = 0; i < 12; i++)
        {
            await mesh.NodeAsync($"node-{i:00}");
        }

        var response = await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh));
        response.AssertError(409, "ResourceInUseException");
        Assert.Contains($"Mesh '{mesh.Mesh}' still contains 12 resources: virtual node 'node-00', ", response.Message);
        Assert.Contains("virtual node 'node-09' and 2 more; delete them first.", response.Message);
    }

    [Fact]
    public async Task Router_InUseWhileItHasRoutesOrProvidesAService()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "r", Specs.HttpRoute(("web", 100)));
        var withRoutes = await api.SendAsync(HttpMethod.Delete, Paths.VirtualRouter(mesh.Mesh, "router"));
        withRoutes.AssertError(409, "ResourceInUseException");
        Assert.Contains("still has 1 route: r; delete them first.", withRoutes.Message);

        (await api.SendAsync(HttpMethod.Delete, Paths.Route(mesh.Mesh, "router", "r"))).AssertOk();
        await mesh.ServiceAsync("svc.local", Specs.ServiceByRouter("router"));
        var provider = await api.SendAsync(HttpMethod.Delete, Paths.VirtualRouter(mesh.Mesh, "router"));
        provider.AssertError(409, "ResourceInUseException");
        Assert.Contains("is in use by virtual service 'svc.local'", provider.Message);
    }

    [Fact]
    public async Task Node_InUseWhileProviderOrRouteTarget()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertError(409, "ResourceInUseException");

        await mesh.NodeAsync("target");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "r", Specs.HttpRoute(("target", 100)));
        var response = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "target"));
        response.AssertError(409, "ResourceInUseException");
        Assert.Contains("route 'r' of virtual router 'router'", response.Message);
    }

    [Fact]
    public async Task InUse_CountsOnlyReferencesFromTheSameMesh()
    {
        // The same names in two meshes: a delete in one is held up only by what refers to it in that mesh, and by
        // every such reference (the in-use check looks references up by account, mesh, kind and name).
        var used = await MeshBuilder.CreateAsync(api);
        var other = await MeshBuilder.CreateAsync(api);
        foreach (var mesh in new[] { used, other })
        {
            await mesh.NodeAsync("web");
            await mesh.GatewayAsync("gw");
        }

        await used.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        await used.GatewayRouteAsync("gw", "r1", Specs.GatewayRoute("svc.local"));
        await used.GatewayRouteAsync("gw", "r2", Specs.GatewayRoute("svc.local"));
        await other.ServiceAsync("svc.local", new JsonObject());

        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(other.Mesh, "web"))).AssertOk();
        var service = await api.SendAsync(HttpMethod.Delete, Paths.VirtualService(used.Mesh, "svc.local"));
        service.AssertError(409, "ResourceInUseException");
        Assert.Contains("is in use by gateway route 'r1' of virtual gateway 'gw', gateway route 'r2' of virtual gateway 'gw'.", service.Message);
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualService(other.Mesh, "svc.local"))).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(used.Mesh, "web"))).AssertError(409, "ResourceInUseException");
    }

    [Fact]
    public async Task Gateway_InUseWhileItHasGatewayRoutes_AndServiceWhileTargeted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("gw");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        await mesh.GatewayRouteAsync("gw", "r", Specs.GatewayRoute("svc.local"));
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualGateway(mesh.Mesh, "gw"))).AssertError(409, "ResourceInUseException");
        var service = await api.SendAsync(HttpMethod.Delete, Paths.VirtualService(mesh.Mesh, "svc.local"));
        service.AssertError(409, "ResourceInUseException");
        Assert.Contains("gateway route 'r' of virtual gateway 'gw'", service.Message);
    }

    [Fact]
    public async Task UpdateThatDropsAReference_ReleasesIt()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualService(mesh.Mesh, "svc.local"), new JsonObject { ["spec"] = new JsonObject() })).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
    }
}
