using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>One test per App Mesh operation, each checking the wire shape the SDKs expect.</summary>
public sealed class OperationTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task CreateMesh_ReturnsBareMeshDataWithMetadata()
    {
        var response = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = "create-mesh",
            ["spec"] = new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "ALLOW_ALL" } },
        });

        response.AssertOk();
        var mesh = response.Body!;
        Assert.Equal("create-mesh", mesh["meshName"]!.GetValue<string>());
        Assert.Equal("ALLOW_ALL", mesh["spec"]!["egressFilter"]!["type"]!.GetValue<string>());
        Assert.Equal("ACTIVE", mesh["status"]!["status"]!.GetValue<string>());
        var metadata = mesh["metadata"]!;
        Assert.Equal($"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/create-mesh", metadata["arn"]!.GetValue<string>());
        Assert.Equal(1, metadata["version"]!.GetValue<long>());
        Assert.True(Guid.TryParse(metadata["uid"]!.GetValue<string>(), out _));
        Assert.Equal(ApiServer.AccountId, metadata["meshOwner"]!.GetValue<string>());
        Assert.Equal(ApiServer.AccountId, metadata["resourceOwner"]!.GetValue<string>());
        AssertEpochSeconds(metadata["createdAt"]!);
        AssertEpochSeconds(metadata["lastUpdatedAt"]!);
        Assert.False(string.IsNullOrEmpty(response.RequestId));
    }

    [Fact]
    public async Task DescribeMesh_ReturnsTheStoredMesh()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk();
        Assert.Equal(mesh.Mesh, response.Body!["meshName"]!.GetValue<string>());
        Assert.NotNull(response.Body["spec"]);
    }

    [Fact]
    public async Task UpdateMesh_IncrementsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = (await api.SendAsync(HttpMethod.Put, Paths.Mesh(mesh.Mesh), new JsonObject
        {
            ["spec"] = new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "DROP_ALL" } },
        })).AssertOk();
        Assert.Equal(2, response.Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal("DROP_ALL", response.Body["spec"]!["egressFilter"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteMesh_ReturnsDeletedThenNotFound()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var deleted = (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh))).AssertOk();
        Assert.Equal("DELETED", deleted.Body!["status"]!["status"]!.GetValue<string>());
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task ListMeshes_ReturnsMeshRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = (await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?limit=100")).AssertOk();
        var refs = response.Body!["meshes"]!.AsArray();
        var found = refs.Single(r => r!["meshName"]!.GetValue<string>() == mesh.Mesh)!;
        Assert.Equal(
            ["arn", "createdAt", "lastUpdatedAt", "meshName", "meshOwner", "resourceOwner", "version"],
            found.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CreateVirtualNode_ReturnsNodeData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var node = await mesh.NodeAsync("web", Specs.VirtualNode(9080, "backend.local"));
        Assert.Equal("web", node["virtualNodeName"]!.GetValue<string>());
        Assert.Equal(mesh.Mesh, node["meshName"]!.GetValue<string>());
        Assert.Equal(9080, node["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.EndsWith($":mesh/{mesh.Mesh}/virtualNode/web", node["metadata"]!["arn"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeVirtualNode_ReturnsNodeData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal("web", response.Body!["virtualNodeName"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateVirtualNode_ReplacesSpecAndIncrementsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var response = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"),
            new JsonObject { ["spec"] = Specs.VirtualNode(7000) })).AssertOk();
        Assert.Equal(2, response.Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(7000, response.Body["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeleteVirtualNode_ReturnsDeleted_AtTheTimeOfDeletion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var created = await mesh.NodeAsync("web");
        await Task.Delay(20); // lastUpdatedAt has millisecond precision; make the deletion's time distinct.
        var response = (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal("DELETED", response.Body!["status"]!["status"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["createdAt"]!.GetValue<decimal>(), response.Body["metadata"]!["createdAt"]!.GetValue<decimal>());
        Assert.True(response.Body["metadata"]!["lastUpdatedAt"]!.GetValue<decimal>() > created["metadata"]!["lastUpdatedAt"]!.GetValue<decimal>(),
            "App Mesh sets a deleted resource's lastUpdatedAt to the time of deletion.");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task ListVirtualNodes_ReturnsRefsInNameOrder()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("b");
        await mesh.NodeAsync("a");
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh))).AssertOk();
        Assert.Equal(["a", "b"], response.Body!["virtualNodes"]!.AsArray().Select(n => n!["virtualNodeName"]!.GetValue<string>()));
        Assert.Null(response.Body["nextToken"]);
    }

    [Fact]
    public async Task CreateVirtualService_WithNodeProvider()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var service = await mesh.ServiceAsync("web.local", Specs.ServiceByNode("web"));
        Assert.Equal("web.local", service["virtualServiceName"]!.GetValue<string>());
        Assert.Equal("web", service["spec"]!["provider"]!["virtualNode"]!["virtualNodeName"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeVirtualService_ReturnsServiceData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.ServiceAsync("svc.local", new JsonObject());
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualService(mesh.Mesh, "svc.local"))).AssertOk();
        Assert.Equal("svc.local", response.Body!["virtualServiceName"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateVirtualService_SwitchesProvider()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        var response = (await api.SendAsync(HttpMethod.Put, Paths.VirtualService(mesh.Mesh, "svc.local"),
            new JsonObject { ["spec"] = Specs.ServiceByRouter("router") })).AssertOk();
        Assert.Equal("router", response.Body!["spec"]!["provider"]!["virtualRouter"]!["virtualRouterName"]!.GetValue<string>());
        Assert.Equal(2, response.Body["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteVirtualService_ReturnsDeleted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.ServiceAsync("svc.local", new JsonObject());
        var response = (await api.SendAsync(HttpMethod.Delete, Paths.VirtualService(mesh.Mesh, "svc.local"))).AssertOk();
        Assert.Equal("DELETED", response.Body!["status"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListVirtualServices_ReturnsRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.ServiceAsync("svc.local", new JsonObject());
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualServices(mesh.Mesh))).AssertOk();
        Assert.Equal("svc.local", response.Body!["virtualServices"]![0]!["virtualServiceName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateVirtualRouter_ReturnsRouterData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var router = await mesh.RouterAsync("router", Specs.RouterSpec(8080));
        Assert.Equal("router", router["virtualRouterName"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeVirtualRouter_ReturnsRouterData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouter(mesh.Mesh, "router"))).AssertOk();
        Assert.Equal(8080, response.Body!["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
    }

    [Fact]
    public async Task UpdateVirtualRouter_IncrementsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");
        var response = (await api.SendAsync(HttpMethod.Put, Paths.VirtualRouter(mesh.Mesh, "router"),
            new JsonObject { ["spec"] = Specs.RouterSpec(9090) })).AssertOk();
        Assert.Equal(2, response.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteVirtualRouter_ReturnsDeleted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualRouter(mesh.Mesh, "router"))).AssertOk();
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouter(mesh.Mesh, "router"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task ListVirtualRouters_ReturnsRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.RouterAsync("router");
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouters(mesh.Mesh))).AssertOk();
        Assert.Single(response.Body!["virtualRouters"]!.AsArray());
    }

    [Fact]
    public async Task CreateRoute_ReturnsRouteDataWithRouterName()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        var route = await mesh.RouteAsync("router", "default", Specs.HttpRoute(("web", 100)));
        Assert.Equal("default", route["routeName"]!.GetValue<string>());
        Assert.Equal("router", route["virtualRouterName"]!.GetValue<string>());
        Assert.EndsWith($":mesh/{mesh.Mesh}/virtualRouter/router/route/default", route["metadata"]!["arn"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeRoute_ReturnsRouteData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "default", Specs.HttpRoute(("web", 100)));
        var response = (await api.SendAsync(HttpMethod.Get, Paths.Route(mesh.Mesh, "router", "default"))).AssertOk();
        Assert.Equal(100, response.Body!["spec"]!["httpRoute"]!["action"]!["weightedTargets"]![0]!["weight"]!.GetValue<int>());
    }

    [Fact]
    public async Task UpdateRoute_ChangesWeights()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.NodeAsync("v2");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "default", Specs.HttpRoute(("v1", 100)));
        var response = (await api.SendAsync(HttpMethod.Put, Paths.Route(mesh.Mesh, "router", "default"),
            new JsonObject { ["spec"] = Specs.HttpRoute(("v1", 80), ("v2", 20)) })).AssertOk();
        Assert.Equal(2, response.Body!["spec"]!["httpRoute"]!["action"]!["weightedTargets"]!.AsArray().Count);
        Assert.Equal(2, response.Body["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteRoute_ReturnsDeleted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "default", Specs.HttpRoute(("web", 100)));
        var response = (await api.SendAsync(HttpMethod.Delete, Paths.Route(mesh.Mesh, "router", "default"))).AssertOk();
        Assert.Equal("DELETED", response.Body!["status"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListRoutes_ReturnsRouteRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "default", Specs.HttpRoute(("web", 100)));
        var response = (await api.SendAsync(HttpMethod.Get, Paths.Routes(mesh.Mesh, "router"))).AssertOk();
        var route = response.Body!["routes"]![0]!;
        Assert.Equal("router", route["virtualRouterName"]!.GetValue<string>());
        Assert.Equal("default", route["routeName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateVirtualGateway_ReturnsGatewayData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var gateway = await mesh.GatewayAsync("ingress");
        Assert.Equal("ingress", gateway["virtualGatewayName"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeVirtualGateway_ReturnsGatewayData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualGateway(mesh.Mesh, "ingress"))).AssertOk();
    }

    [Fact]
    public async Task UpdateVirtualGateway_IncrementsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        var response = (await api.SendAsync(HttpMethod.Put, Paths.VirtualGateway(mesh.Mesh, "ingress"),
            new JsonObject { ["spec"] = Specs.GatewaySpec(9443) })).AssertOk();
        Assert.Equal(2, response.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteVirtualGateway_ReturnsDeleted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualGateway(mesh.Mesh, "ingress"))).AssertOk();
    }

    [Fact]
    public async Task ListVirtualGateways_ReturnsRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        var response = (await api.SendAsync(HttpMethod.Get, Paths.VirtualGateways(mesh.Mesh))).AssertOk();
        Assert.Equal("ingress", response.Body!["virtualGateways"]![0]!["virtualGatewayName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateGatewayRoute_ReturnsGatewayRouteData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        var route = await mesh.GatewayRouteAsync("ingress", "to-svc", Specs.GatewayRoute("svc.local"));
        Assert.Equal("to-svc", route["gatewayRouteName"]!.GetValue<string>());
        Assert.Equal("ingress", route["virtualGatewayName"]!.GetValue<string>());
        Assert.EndsWith($":mesh/{mesh.Mesh}/virtualGateway/ingress/gatewayRoute/to-svc", route["metadata"]!["arn"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeGatewayRoute_ReturnsData()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        await mesh.GatewayRouteAsync("ingress", "to-svc", Specs.GatewayRoute("svc.local"));
        (await api.SendAsync(HttpMethod.Get, Paths.GatewayRoute(mesh.Mesh, "ingress", "to-svc"))).AssertOk();
    }

    [Fact]
    public async Task UpdateGatewayRoute_IncrementsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        await mesh.GatewayRouteAsync("ingress", "to-svc", Specs.GatewayRoute("svc.local"));
        var response = (await api.SendAsync(HttpMethod.Put, Paths.GatewayRoute(mesh.Mesh, "ingress", "to-svc"),
            new JsonObject { ["spec"] = Specs.GatewayRoute("svc.local", "/v2") })).AssertOk();
        Assert.Equal(2, response.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteGatewayRoute_ReturnsDeleted()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        await mesh.GatewayRouteAsync("ingress", "to-svc", Specs.GatewayRoute("svc.local"));
        var response = (await api.SendAsync(HttpMethod.Delete, Paths.GatewayRoute(mesh.Mesh, "ingress", "to-svc"))).AssertOk();
        Assert.Equal("DELETED", response.Body!["status"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListGatewayRoutes_ReturnsRefs()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.GatewayAsync("ingress");
        await mesh.ServiceAsync("svc.local", new JsonObject());
        await mesh.GatewayRouteAsync("ingress", "to-svc", Specs.GatewayRoute("svc.local"));
        var response = (await api.SendAsync(HttpMethod.Get, Paths.GatewayRoutes(mesh.Mesh, "ingress"))).AssertOk();
        Assert.Equal("to-svc", response.Body!["gatewayRoutes"]![0]!["gatewayRouteName"]!.GetValue<string>());
    }

    [Fact]
    public async Task TagResource_AddsAndOverwritesTags()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var arn = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).Body!["metadata"]!["arn"]!.GetValue<string>();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("team", "a"), ("env", "dev")) })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("team", "b")) })).AssertOk();
        var tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        Assert.Equal(["env=dev", "team=b"], tags.Select(t => $"{t!["key"]}={t["value"]}"));
    }

    [Fact]
    public async Task UntagResource_RemovesKeys()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var node = await mesh.NodeAsync("web");
        var arn = node["metadata"]!["arn"]!.GetValue<string>();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("a", "1"), ("b", "2")) })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Untag(arn), new JsonObject { ["tagKeys"] = new JsonArray("a", "missing") })).AssertOk();
        var tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        Assert.Equal(["b"], tags.Select(t => t!["key"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ListTagsForResource_ReturnsTagsGivenAtCreate()
    {
        var response = (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = "tagged-at-create",
            ["tags"] = TagList(("owner", "payments")),
        })).AssertOk();
        var arn = response.Body!["metadata"]!["arn"]!.GetValue<string>();
        var tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        Assert.Equal("payments", tags.Single()!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task TagOperations_FindTheResourceTheArnNames_OnlyByItsOwnArn()
    {
        // The tag operations find a row by the identity its ARN names (there is no index on the ARN, migration
        // ArnFoundByIdentity). A route's ARN names it under its router; the same path in another region, a route of
        // that name under another router, or a name that does not exist, name nothing, as when they were read by ARN.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.RouterAsync("router");
        await mesh.RouterAsync("other");
        var arn = (await mesh.RouteAsync("router", "default", Specs.HttpRoute(("web", 100))))["metadata"]!["arn"]!.GetValue<string>();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("team", "a"), ("env", "dev")) })).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.Untag(arn), new JsonObject { ["tagKeys"] = new JsonArray("env") })).AssertOk();
        var tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        Assert.Equal(["team=a"], tags.Select(t => $"{t!["key"]}={t["value"]}"));

        var otherRegion = arn.Replace($":{ApiServer.Region}:", ":eu-north-1:", StringComparison.Ordinal);
        Assert.NotEqual(arn, otherRegion);
        foreach (var missing in new[] { otherRegion, arn.Replace("/virtualRouter/router/", "/virtualRouter/other/", StringComparison.Ordinal), arn + "x" })
        {
            (await api.SendAsync(HttpMethod.Get, Paths.Tags(missing))).AssertError(404, "NotFoundException");
            (await api.SendAsync(HttpMethod.Put, Paths.Tag(missing), new JsonObject { ["tags"] = TagList(("team", "b")) }))
                .AssertError(404, "NotFoundException");
            (await api.SendAsync(HttpMethod.Put, Paths.Untag(missing), new JsonObject { ["tagKeys"] = new JsonArray("team") }))
                .AssertError(404, "NotFoundException");
        }

        tags = (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray();
        Assert.Equal(["team=a"], tags.Select(t => $"{t!["key"]}={t["value"]}"));
    }

    internal static JsonArray TagList(params (string Key, string Value)[] tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value }).ToArray());

    private static void AssertEpochSeconds(JsonNode value)
    {
        Assert.Equal(System.Text.Json.JsonValueKind.Number, value.GetValueKind());
        var seconds = value.GetValue<decimal>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(seconds, now - 3600, now + 3600);
    }
}
