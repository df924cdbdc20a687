using System.Text.Json;
using Mesh.Model.Graph;

namespace Mesh.XdsServer.Hosting.WarmUp;

/// <summary>
/// A small mesh that exists only in memory, for the warm-up: every kind of resource the translator reads (HTTP and
/// gRPC nodes, a router with HTTP and gRPC routes, services provided by a router and by a node, a gateway with a
/// gateway route), stored as the API stores rows (App Mesh JSON), so the warm-up reads it the way the change feed
/// reads a real mesh. <see cref="Changed"/> moves the route's weights, as a typical route change does.
/// </summary>
internal static class WarmUpMesh
{
    /// <summary>The mesh's name; it lives only in the warm-up's own producer and cache, never beside a user's mesh of that name.</summary>
    public const string Name = "xds-warm-up";

    public const string Client = "client";
    public const string Gateway = "gateway";

    public static string NodeId(string node) => $"mesh/{Name}/virtualNode/{node}";

    public static string GatewayId(string gateway) => $"mesh/{Name}/virtualGateway/{gateway}";

    /// <summary>The mesh with <paramref name="round"/> choosing the route's weights (each round differs from the one before).</summary>
    public static MeshGraph Graph(int round) => MeshGraph.Build(Rows(round));

    private static IEnumerable<MeshResourceRow> Rows(int round)
    {
        var v1 = 1 + (round % 99);
        yield return Row(MeshResourceKinds.Mesh, "", Name, new { });
        yield return Node(Client, "10.0.0.1", 8080, "http", "api.warm-up.local", "billing.warm-up.local");
        yield return Node("api-v1", "10.0.0.2", 9080, "http");
        yield return Node("api-v2", "10.0.0.3", 9080, "http");
        yield return Node("billing", "10.0.0.4", 7000, "grpc");
        yield return Row(MeshResourceKinds.VirtualRouter, "", "api-router", new { listeners = new[] { new { portMapping = new { port = 9080, protocol = "http" } } } });
        yield return Row(MeshResourceKinds.Route, "api-router", "default", new
        {
            httpRoute = new
            {
                match = new { prefix = "/" },
                action = new { weightedTargets = new[] { new { virtualNode = "api-v1", weight = v1 }, new { virtualNode = "api-v2", weight = 100 - v1 } } },
                retryPolicy = new { maxRetries = 2, perRetryTimeout = new { unit = "ms", value = 500 }, httpRetryEvents = new[] { "server-error" } },
            },
        });
        yield return Row(MeshResourceKinds.VirtualRouter, "", "billing-router", new { listeners = new[] { new { portMapping = new { port = 7000, protocol = "grpc" } } } });
        yield return Row(MeshResourceKinds.Route, "billing-router", "rpc", new
        {
            grpcRoute = new
            {
                match = new { serviceName = "billing.Billing" },
                action = new { weightedTargets = new[] { new { virtualNode = "billing", weight = 1 } } },
            },
        });
        yield return Row(MeshResourceKinds.VirtualService, "", "api.warm-up.local", new { provider = new { virtualRouter = new { virtualRouterName = "api-router" } } });
        yield return Row(MeshResourceKinds.VirtualService, "", "billing.warm-up.local", new { provider = new { virtualRouter = new { virtualRouterName = "billing-router" } } });
        yield return Row(MeshResourceKinds.VirtualGateway, "", Gateway, new { listeners = new[] { new { portMapping = new { port = 9000, protocol = "http" } } } });
        yield return Row(MeshResourceKinds.GatewayRoute, Gateway, "to-api", new
        {
            httpRoute = new
            {
                match = new { prefix = "/api" },
                action = new { target = new { virtualService = new { virtualServiceName = "api.warm-up.local" } } },
            },
        });
    }

    private static MeshResourceRow Node(string name, string hostname, int port, string protocol, params string[] backends) =>
        Row(MeshResourceKinds.VirtualNode, "", name, new
        {
            listeners = new[] { new { portMapping = new { port, protocol }, healthCheck = new { protocol, path = protocol == "http" ? "/health" : null, healthyThreshold = 2, unhealthyThreshold = 2, intervalMillis = 5000, timeoutMillis = 2000 } } },
            serviceDiscovery = new { dns = new { hostname } },
            backends = backends.Select(b => new { virtualService = new { virtualServiceName = b } }),
        });

    private static MeshResourceRow Row(string kind, string parent, string name, object spec) =>
        new(kind, parent, name, 1, JsonSerializer.Serialize(spec, JsonOptions));

    private static readonly JsonSerializerOptions JsonOptions = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
