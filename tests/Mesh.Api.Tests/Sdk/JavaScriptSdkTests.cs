using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Sdk;

/// <summary>
/// The AWS SDK for JavaScript v3 (@aws-sdk/client-app-mesh, pinned in tests/clients) against the API:
/// every operation in one lifecycle, and errors surfacing as the SDK's own App Mesh exception classes.
/// The JS SDK does not validate input, so out-of-range values reach the server.
/// </summary>
public sealed class JavaScriptSdkTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly JsonObject HttpListener = new() { ["portMapping"] = new JsonObject { ["port"] = 8080, ["protocol"] = "http" } };

    [Fact]
    public async Task EveryOperation_FullLifecycle()
    {
        const string mesh = "js-life";
        var meshArn = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/{mesh}";
        var nodeSpec = new JsonObject
        {
            ["listeners"] = new JsonArray(HttpListener.DeepClone()),
            ["serviceDiscovery"] = new JsonObject { ["dns"] = new JsonObject { ["hostname"] = "orders.local" } },
        };
        var routerSpec = new JsonObject { ["listeners"] = new JsonArray(HttpListener.DeepClone()) };
        var routeSpec = new JsonObject
        {
            ["httpRoute"] = new JsonObject
            {
                ["match"] = new JsonObject { ["prefix"] = "/" },
                ["action"] = new JsonObject { ["weightedTargets"] = new JsonArray(new JsonObject { ["virtualNode"] = "orders", ["weight"] = 100 }) },
            },
        };
        var serviceSpec = new JsonObject { ["provider"] = new JsonObject { ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = "edge" } } };
        var gatewaySpec = new JsonObject { ["listeners"] = new JsonArray(HttpListener.DeepClone()) };
        JsonObject GatewayRouteSpec(string prefix) => new()
        {
            ["httpRoute"] = new JsonObject
            {
                ["match"] = new JsonObject { ["prefix"] = prefix },
                ["action"] = new JsonObject { ["target"] = new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = "orders.local" } } },
            },
        };
        var m = new JsonObject { ["meshName"] = mesh };
        JsonObject With(params (string Key, JsonNode? Value)[] members)
        {
            var input = (JsonObject)m.DeepClone();
            foreach (var (key, value) in members)
            {
                input[key] = value?.DeepClone();
            }

            return input;
        }

        var node = With(("virtualNodeName", "orders"));
        var router = With(("virtualRouterName", "edge"));
        var route = With(("virtualRouterName", "edge"), ("routeName", "all"));
        var service = With(("virtualServiceName", "orders.local"));
        var gateway = With(("virtualGatewayName", "ingress"));
        var gatewayRoute = With(("virtualGatewayName", "ingress"), ("gatewayRouteName", "orders"));
        JsonObject Spec(JsonObject id, JsonObject spec) { var input = (JsonObject)id.DeepClone(); input["spec"] = spec.DeepClone(); return input; }

        var calls = new (string Operation, JsonObject Input, string? Output)[]
        {
            ("CreateMesh", With(("tags", new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "blue" }))), "mesh"),
            ("CreateVirtualNode", Spec(node, nodeSpec), "virtualNode"),
            ("CreateVirtualRouter", Spec(router, routerSpec), "virtualRouter"),
            ("CreateRoute", Spec(route, routeSpec), "route"),
            ("CreateVirtualService", Spec(service, serviceSpec), "virtualService"),
            ("CreateVirtualGateway", Spec(gateway, gatewaySpec), "virtualGateway"),
            ("CreateGatewayRoute", Spec(gatewayRoute, GatewayRouteSpec("/")), "gatewayRoute"),
            ("DescribeMesh", m, "mesh"),
            ("DescribeVirtualNode", node, "virtualNode"),
            ("DescribeVirtualRouter", router, "virtualRouter"),
            ("DescribeRoute", route, "route"),
            ("DescribeVirtualService", service, "virtualService"),
            ("DescribeVirtualGateway", gateway, "virtualGateway"),
            ("DescribeGatewayRoute", gatewayRoute, "gatewayRoute"),
            ("UpdateMesh", Spec(m, new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "DROP_ALL" } }), "mesh"),
            ("UpdateVirtualNode", Spec(node, nodeSpec), "virtualNode"),
            ("UpdateVirtualRouter", Spec(router, routerSpec), "virtualRouter"),
            ("UpdateRoute", Spec(route, routeSpec), "route"),
            ("UpdateVirtualService", Spec(service, serviceSpec), "virtualService"),
            ("UpdateVirtualGateway", Spec(gateway, gatewaySpec), "virtualGateway"),
            ("UpdateGatewayRoute", Spec(gatewayRoute, GatewayRouteSpec("/v2")), "gatewayRoute"),
            ("ListMeshes", [], "meshes"),
            ("ListVirtualNodes", m, "virtualNodes"),
            ("ListVirtualRouters", m, "virtualRouters"),
            ("ListRoutes", With(("virtualRouterName", "edge")), "routes"),
            ("ListVirtualServices", m, "virtualServices"),
            ("ListVirtualGateways", m, "virtualGateways"),
            ("ListGatewayRoutes", With(("virtualGatewayName", "ingress")), "gatewayRoutes"),
            ("TagResource", new JsonObject { ["resourceArn"] = meshArn, ["tags"] = new JsonArray(new JsonObject { ["key"] = "env", ["value"] = "prod" }) }, null),
            ("UntagResource", new JsonObject { ["resourceArn"] = meshArn, ["tagKeys"] = new JsonArray("team") }, null),
            ("ListTagsForResource", new JsonObject { ["resourceArn"] = meshArn }, "tags"),
            ("DeleteGatewayRoute", gatewayRoute, "gatewayRoute"),
            ("DeleteVirtualGateway", gateway, "virtualGateway"),
            ("DeleteVirtualService", service, "virtualService"),
            ("DeleteRoute", route, "route"),
            ("DeleteVirtualRouter", router, "virtualRouter"),
            ("DeleteVirtualNode", node, "virtualNode"),
            ("DeleteMesh", m, "mesh"),
        };
        Assert.Equal(38, calls.Select(c => c.Operation).Distinct().Count());

        var results = await SdkClients.RunJavaScriptAsync(api.BaseAddress, Credentials(), calls.Select(c => new SdkCall(c.Operation, c.Input)).ToArray());

        for (var i = 0; i < calls.Length; i++)
        {
            var (operation, _, outputMember) = calls[i];
            var result = results[i]!;
            Assert.True(result["ok"]!.GetValue<bool>(), $"{operation} failed in the JS SDK: {result.ToJsonString()}");
            Assert.Equal(200, result["status"]!.GetValue<int>());
            if (outputMember is not null)
            {
                Assert.True(result["output"]![outputMember] is not null, $"{operation}: the SDK output has no {outputMember}: {result.ToJsonString()}");
            }

            // Every timestamp the SDK saw, it parsed into a valid Date (the SDK accepts only epoch-seconds numbers).
            var types = result["outputTypes"]!.AsObject();
            Assert.All(types, t => Assert.Equal("Date", t.Value!.GetValue<string>()));
            if (operation.StartsWith("Create", StringComparison.Ordinal) || operation.StartsWith("Describe", StringComparison.Ordinal)
                || operation.StartsWith("Update", StringComparison.Ordinal) || operation.StartsWith("Delete", StringComparison.Ordinal))
            {
                Assert.Contains($"{outputMember}.metadata.createdAt", types.Select(t => t.Key));
                Assert.Contains($"{outputMember}.metadata.lastUpdatedAt", types.Select(t => t.Key));
            }
        }

        JsonNode Output(string operation) => results[Array.FindIndex(calls, c => c.Operation == operation)]!["output"]!;
        Assert.Equal(1, Output("CreateRoute")["route"]!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(2, Output("UpdateRoute")["route"]!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal("DROP_ALL", Output("UpdateMesh")["mesh"]!["spec"]!["egressFilter"]!["type"]!.GetValue<string>());
        Assert.Equal("/v2", Output("UpdateGatewayRoute")["gatewayRoute"]!["spec"]!["httpRoute"]!["match"]!["prefix"]!.GetValue<string>());
        Assert.Equal($"{meshArn}/virtualRouter/edge/route/all", Output("DescribeRoute")["route"]!["metadata"]!["arn"]!.GetValue<string>());
        Assert.Equal("edge", Output("ListRoutes")["routes"]![0]!["virtualRouterName"]!.GetValue<string>());
        Assert.Equal("env=prod", string.Join(',', Output("ListTagsForResource")["tags"]!.AsArray().Select(t => $"{t!["key"]}={t["value"]}")));
        Assert.Equal("DELETED", Output("DeleteMesh")["mesh"]!["status"]!["status"]!.GetValue<string>());
        Assert.Equal("DELETED", Output("DeleteRoute")["route"]!["status"]!["status"]!.GetValue<string>());

        // The printed instants are the ones the API sent, in the SDK's Date form.
        var created = DateTimeOffset.Parse(Output("CreateMesh")["mesh"]!["metadata"]!["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var described = DateTimeOffset.Parse(Output("DescribeMesh")["mesh"]!["metadata"]!["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(created, described);
    }

    [Fact]
    public async Task Errors_AreTheSdksAppMeshExceptions()
    {
        await MeshBuilder.CreateAsync(api, "js-errors").ContinueWith(async t => await (await t).NodeAsync("a")).Unwrap();

        var calls = new (SdkCall Call, string Name, int Status, string? MessagePart)[]
        {
            (new SdkCall("DescribeMesh", new JsonObject { ["meshName"] = "js-absent" }), "NotFoundException", 404, "js-absent"),
            (new SdkCall("CreateMesh", new JsonObject { ["meshName"] = "js-errors" }), "ConflictException", 409, null),
            (new SdkCall("DeleteMesh", new JsonObject { ["meshName"] = "js-errors" }), "ResourceInUseException", 409, null),
            (new SdkCall("CreateVirtualNode", new JsonObject
            {
                ["meshName"] = "js-errors",
                ["virtualNodeName"] = "b",
                ["spec"] = new JsonObject { ["listeners"] = new JsonArray(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = 0, ["protocol"] = "http" } }) },
            }), "BadRequestException", 400, "spec.listeners[0].portMapping.port"),
            (new SdkCall("ListMeshes", new JsonObject { ["limit"] = 0 }), "BadRequestException", 400, "limit"),
            (new SdkCall("ListMeshes", new JsonObject { ["nextToken"] = "forged" }), "BadRequestException", 400, "nextToken"),
            (new SdkCall("TagResource", new JsonObject
            {
                ["resourceArn"] = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/js-errors",
                ["tags"] = new JsonArray(Enumerable.Range(0, 51).Select(i => (JsonNode)new JsonObject { ["key"] = $"k{i}", ["value"] = "v" }).ToArray()),
            }), "BadRequestException", 400, "tags"),
        };

        var results = await SdkClients.RunJavaScriptAsync(api.BaseAddress, Credentials(), calls.Select(c => c.Call).ToArray());

        for (var i = 0; i < calls.Length; i++)
        {
            var (call, name, status, messagePart) = calls[i];
            var result = results[i]!;
            var context = $"{call.Operation}: {result.ToJsonString()}";
            Assert.False(result["ok"]!.GetValue<bool>(), context);
            Assert.True(result["name"]!.GetValue<string>() == name, $"Expected {name}. {context}");
            Assert.True(result["modeled"]!.GetValue<bool>(), $"Expected an instance of the SDK's {name} class. {context}");
            Assert.True(result["status"]!.GetValue<int>() == status, $"Expected HTTP {status}. {context}");
            Assert.Equal(status >= 500 ? "server" : "client", result["fault"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(result["message"]!.GetValue<string>()), context);
            if (messagePart is not null)
            {
                Assert.Contains(messagePart, result["message"]!.GetValue<string>());
            }
        }

        var describe = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode("js-errors", "b"));
        describe.AssertError(404, "NotFoundException");
    }

    private (string, string) Credentials() => SdkCredentials.For(api);
}
