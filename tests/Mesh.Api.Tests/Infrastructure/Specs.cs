using System.Text.Json.Nodes;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>Small, valid App Mesh specs for building test meshes.</summary>
public static class Specs
{
    public static JsonObject Listener(int port, string protocol = "http") => new()
    {
        ["portMapping"] = new JsonObject { ["port"] = port, ["protocol"] = protocol },
    };

    public static JsonObject VirtualNode(int port = 8080, params string[] backends) => new()
    {
        ["listeners"] = new JsonArray(Listener(port)),
        ["serviceDiscovery"] = new JsonObject { ["dns"] = new JsonObject { ["hostname"] = "app.local" } },
        ["backends"] = new JsonArray(backends.Select(b => (JsonNode)new JsonObject
        {
            ["virtualService"] = new JsonObject { ["virtualServiceName"] = b },
        }).ToArray()),
    };

    public static JsonObject RouterSpec(params int[] ports) => new()
    {
        ["listeners"] = new JsonArray(ports.Select(p => (JsonNode)Listener(p)).ToArray()),
    };

    public static JsonObject ServiceByNode(string node) => new()
    {
        ["provider"] = new JsonObject { ["virtualNode"] = new JsonObject { ["virtualNodeName"] = node } },
    };

    public static JsonObject ServiceByRouter(string router) => new()
    {
        ["provider"] = new JsonObject { ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = router } },
    };

    public static JsonObject HttpRoute(params (string Node, int Weight)[] targets) => HttpRouteWithMatch(new JsonObject { ["prefix"] = "/" }, targets);

    public static JsonObject HttpRouteWithMatch(JsonObject match, params (string Node, int Weight)[] targets) => new()
    {
        ["httpRoute"] = new JsonObject
        {
            ["match"] = match,
            ["action"] = new JsonObject
            {
                ["weightedTargets"] = new JsonArray(targets.Select(t => (JsonNode)new JsonObject
                {
                    ["virtualNode"] = t.Node,
                    ["weight"] = t.Weight,
                }).ToArray()),
            },
        },
    };

    public static JsonObject GatewaySpec(int port = 8080) => new()
    {
        ["listeners"] = new JsonArray(Listener(port)),
    };

    public static JsonObject GatewayRoute(string service, string prefix = "/") => new()
    {
        ["httpRoute"] = new JsonObject
        {
            ["match"] = new JsonObject { ["prefix"] = prefix },
            ["action"] = new JsonObject
            {
                ["target"] = new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = service } },
            },
        },
    };
}
