using System.Text.Json.Nodes;

namespace Mesh.ApiLoad;

/// <summary>Resource specs of a realistic size: what a terraform module or a controller would write.</summary>
internal static class Specs
{
    /// <summary>The listener's port of <see cref="Node"/> unless a call names another.</summary>
    public const int NodePort = 8080;

    public static JsonObject Node(string host, int port = NodePort) => new()
    {
        ["listeners"] = new JsonArray(new JsonObject
        {
            ["portMapping"] = new JsonObject { ["port"] = port, ["protocol"] = "http" },
            ["healthCheck"] = new JsonObject
            {
                ["protocol"] = "http", ["path"] = "/health", ["healthyThreshold"] = 2, ["unhealthyThreshold"] = 3,
                ["timeoutMillis"] = 2000, ["intervalMillis"] = 5000,
            },
        }),
        ["serviceDiscovery"] = new JsonObject { ["dns"] = new JsonObject { ["hostname"] = host } },
    };

    public static JsonObject Router() => new()
    {
        ["listeners"] = new JsonArray(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = 8080, ["protocol"] = "http" } }),
    };

    /// <summary>The retry count of a route as <see cref="Route"/> writes it.</summary>
    public const int RouteRetries = 2;

    public static JsonObject Route(string node) => new()
    {
        ["httpRoute"] = new JsonObject
        {
            ["match"] = new JsonObject { ["prefix"] = "/" },
            ["action"] = new JsonObject { ["weightedTargets"] = new JsonArray(new JsonObject { ["virtualNode"] = node, ["weight"] = 100 }) },
            ["retryPolicy"] = new JsonObject
            {
                ["maxRetries"] = RouteRetries,
                ["perRetryTimeout"] = new JsonObject { ["unit"] = "ms", ["value"] = 1000 },
                ["httpRetryEvents"] = new JsonArray("server-error", "gateway-error"),
            },
        },
    };

    public static JsonObject ServiceByRouter(string router) => new()
    {
        ["provider"] = new JsonObject { ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = router } },
    };

    public static JsonObject Gateway() => new()
    {
        ["listeners"] = new JsonArray(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = 8088, ["protocol"] = "http" } }),
    };

    public static JsonObject GatewayRoute(string service) => new()
    {
        ["httpRoute"] = new JsonObject
        {
            ["match"] = new JsonObject { ["prefix"] = "/" + service },
            ["action"] = new JsonObject { ["target"] = new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = service } } },
        },
    };
}
