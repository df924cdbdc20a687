using Envoy.Service.Status.V3;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Translation;

/// <summary>
/// Issue 4's translation driving the real proxyless clients installed here (gRPC C-core from Debian's
/// python3-grpcio, and @grpc/grpc-js-xds): a weighted split, a live weight change, a method-matched
/// route and a LOGICAL_DNS provider, each observed in the calls the client makes.
/// </summary>
public sealed class FullTranslationRealClientTests
{
    private const string Service = "envoy.service.status.v3.ClientStatusDiscoveryService";

    public static TheoryData<string> Clients() => new() { "python", "node" };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task WeightedSplit_IsObserved_AndMovesLive(string kind)
    {
        await using var one = await NamedBackend.StartAsync("backend-1");
        await using var two = await NamedBackend.StartAsync("backend-2");
        await using var host = await StartHostAsync();
        var mesh = TwoBackends(one, two)
            .GrpcRoute("api-router", "default", Service, ("api-v1", 80), ("api-v2", 20))
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local:7000");

        // 200 calls at 80/20: 160 expected with a standard deviation near 6, so [130, 190] fails only
        // when the split is really wrong.
        var counts = await client.CallAsync(200);
        Assert.InRange(counts.GetValueOrDefault("backend-1"), 130, 190);
        Assert.InRange(counts.GetValueOrDefault("backend-2"), 10, 70);

        host.Producer.SetMesh(mesh.Key, mesh.GrpcRoute("api-router", "default", Service, ("api-v2", 100)).Graph);
        await Eventually.TrueAsync(async () => (await client.CallAsync(5)).GetValueOrDefault("backend-2") == 5);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task MethodMatchedRoute_IsHonoured(string kind)
    {
        await using var one = await NamedBackend.StartAsync("backend-1");
        await using var two = await NamedBackend.StartAsync("backend-2");
        await using var host = await StartHostAsync();
        var mesh = TwoBackends(one, two)
            .GrpcRoute("api-router", "default", Service, ("api-v1", 100))
            .Put("route", "api-router", "by-method",
                "{\"grpcRoute\":{\"match\":{\"serviceName\":\"" + Service + "\",\"methodName\":\"FetchClientStatus\"},\"action\":{\"weightedTargets\":[{\"virtualNode\":\"api-v2\",\"weight\":1}]}}}")
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        // The clients call FetchClientStatus, so the method route (more specific) takes every call.
        Assert.Equal(20, (await client.CallAsync(20)).GetValueOrDefault("backend-2"));
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task MetadataMatchedRoute_IsHonoured_AndAcked(string kind)
    {
        await using var one = await NamedBackend.StartAsync("backend-1");
        await using var two = await NamedBackend.StartAsync("backend-2");
        await using var host = await StartHostAsync();
        var mesh = TwoBackends(one, two)
            .GrpcRoute("api-router", "default", Service, ("api-v1", 100))
            .Put("route", "api-router", "canary",
                "{\"grpcRoute\":{\"match\":{\"serviceName\":\"" + Service + "\",\"metadata\":["
                + "{\"name\":\"X-Canary\",\"match\":{\"exact\":\"yes\"}},{\"name\":\"x-tier\",\"match\":{\"prefix\":\"gold\"}}]},"
                + "\"action\":{\"weightedTargets\":[{\"virtualNode\":\"api-v2\",\"weight\":1}]}}}")
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        // Only calls carrying both entries take the metadata route. C-core 1.51 (python3-grpcio) refused the whole route
        // configuration for a header matcher's string_match, and kept calling without the route.
        Assert.Equal(10, (await client.CallAsync(10, "x-canary=yes", "x-tier=gold-eu")).GetValueOrDefault("backend-2"));
        Assert.Equal(10, (await client.CallAsync(10, "x-canary=yes")).GetValueOrDefault("backend-1"));
        Assert.All((await host.ClientStatusAsync()).Config.SelectMany(c => c.GenericXdsConfigs), g => Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, g.ClientStatus));
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task LogicalDnsProvider_IsReached(string kind)
    {
        await using var one = await NamedBackend.StartAsync("backend-1");
        await using var host = await StartHostAsync();
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "localhost", one.Port, "grpc")
            .ServiceByNode("api.demo.local", "api-v1");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        Assert.Equal(5, (await client.CallAsync(5)).GetValueOrDefault("backend-1"));
        Assert.All((await host.ClientStatusAsync()).Config.SelectMany(c => c.GenericXdsConfigs), g => Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, g.ClientStatus));
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task RetryPolicy_IsHonoured(string kind)
    {
        await using var flaky = await NamedBackend.StartAsync("backend-1", failEveryOther: true);
        await using var host = await StartHostAsync();
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", flaky.Port, "grpc")
            .Router("api-router", 7000, "grpc")
            .Put("route", "api-router", "default", RetryRoute(maxRetries: 0))
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        // Without retries, every other call fails.
        Assert.Equal(10, (await client.CallAsync(20)).GetValueOrDefault("error:UNAVAILABLE"));

        // With two retries on "unavailable", every call succeeds on its second attempt.
        host.Producer.SetMesh(mesh.Key, mesh.Put("route", "api-router", "default", RetryRoute(maxRetries: 2)).Graph);
        await Eventually.TrueAsync(async () => (await client.CallAsync(20)).GetValueOrDefault("backend-1") == 20);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task PerRequestTimeout_IsHonoured(string kind)
    {
        await using var slow = await NamedBackend.StartAsync("backend-1", delay: TimeSpan.FromSeconds(2));
        await using var host = await StartHostAsync();
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", slow.Port, "grpc")
            .Router("api-router", 7000, "grpc")
            .Put("route", "api-router", "default", TimeoutRoute(milliseconds: 300))
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        // The backend answers after 2 s; a 300 ms per-request timeout cuts every call off.
        Assert.Equal(2, (await client.CallAsync(2)).GetValueOrDefault("error:DEADLINE_EXCEEDED"));

        // Raised to 5 s through a route change, the same calls succeed.
        host.Producer.SetMesh(mesh.Key, mesh.Put("route", "api-router", "default", TimeoutRoute(milliseconds: 5000)).Graph);
        await Eventually.TrueAsync(async () => (await client.CallAsync(2)).GetValueOrDefault("backend-1") == 2);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task RouteWithNoReachableTarget_FailsItsCallsUnavailable_AndIsAcked(string kind)
    {
        await using var one = await NamedBackend.StartAsync("backend-1");
        await using var host = await StartHostAsync();
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", one.Port, "grpc")
            .Router("api-router", 7000, "grpc")
            .GrpcRoute("api-router", "default", Service, ("api-v1", 100))
            .Put("route", "api-router", "by-method", MethodRoute("api-v1", weight: 0))
            .ServiceByRouter("api.demo.local", "api-router");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        // The clients call FetchClientStatus, which the method route takes; its only target weighs 0, so the calls
        // fail, and do not fall through to the default route. grpc-js refused the whole route config for Envoy's 503.
        Assert.Equal(4, (await client.CallAsync(4)).GetValueOrDefault("error:UNAVAILABLE"));
        Assert.All((await host.ClientStatusAsync()).Config.SelectMany(c => c.GenericXdsConfigs), g => Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, g.ClientStatus));

        host.Producer.SetMesh(mesh.Key, mesh.Put("route", "api-router", "by-method", MethodRoute("api-v1", weight: 1)).Graph);
        await Eventually.TrueAsync(async () => (await client.CallAsync(4)).GetValueOrDefault("backend-1") == 4);
    }

    public static TheoryData<string, string> ServerBinds() => new()
    {
        { "python", "0.0.0.0" }, { "node", "0.0.0.0" },
        // The node's own address (its DNS hostname is this IP), as a server on a VM binds it.
        { "python", "127.0.0.1" }, { "node", "127.0.0.1" },
    };

    [Theory]
    [MemberData(nameof(ServerBinds))]
    public async Task XdsEnabledGrpcServer_StandingForTheNode_ServesTheClientsCalls(string kind, string bind)
    {
        // gRFC A36: the server binds ADDRESS:PORT and serves only once Mesh sent the Listener for that address.
        var port = XdsTestHost.FreePort();
        await using var host = await StartHostAsync();
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", port, "grpc")
            .ServiceByNode("api.demo.local", "api-v1");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var server = await RealClient.StartServerAsync(kind, host.GrpcUri, MeshRows.NodeId("api-v1"), $"{bind}:{port}", "backend-7");
        if (kind == "node")
        {
            Assert.Equal("serving", await server.NextLineAsync());
        }

        await using var client = await StartClientAsync(kind, host, "xds:///api.demo.local");

        await Eventually.TrueAsync(async () => (await client.CallAsync(5)).GetValueOrDefault("backend-7") == 5);
        var status = await host.ClientStatusAsync();
        var serverConfig = Assert.Single(status.Config, c => c.Node.Id == MeshRows.NodeId("api-v1"));
        var listener = Assert.Single(serverConfig.GenericXdsConfigs, g => g.TypeUrl.EndsWith("Listener", StringComparison.Ordinal));
        Assert.Equal($"grpc/server?xds.resource.listening_address={bind}:{port}", listener.Name);
        Assert.Equal(Envoy.Admin.V3.ClientResourceStatus.Acked, listener.ClientStatus);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_Bootstrap_In_The_Environment_As_The_Webhook_Injects_It_Is_Read(string kind)
    {
        // The Kubernetes webhook gives proxyless pods their bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG, not as a file.
        await using var host = await StartHostAsync();
        await using var backend = await NamedBackend.StartAsync("backend-3");
        var mesh = new MeshRows()
            .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
            .Node("api-v1", "127.0.0.1", backend.Port, "grpc")
            .ServiceByNode("api.demo.local", "api-v1");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);

        await using var client = await RealClient.StartWithBootstrapInEnvironmentAsync(kind, host.GrpcUri, MeshRows.NodeId("web"), "xds:///api.demo.local");

        await Eventually.TrueAsync(async () => (await client.CallAsync(4)).GetValueOrDefault("backend-3") == 4);
    }



    private static string MethodRoute(string node, int weight) =>
        "{\"grpcRoute\":{\"match\":{\"serviceName\":\"" + Service + "\",\"methodName\":\"FetchClientStatus\"},"
        + "\"action\":{\"weightedTargets\":[{\"virtualNode\":\"" + node + "\",\"weight\":" + weight + "}]}}}";

    private static string TimeoutRoute(int milliseconds) =>
        "{\"grpcRoute\":{\"match\":{\"serviceName\":\"" + Service + "\"},"
        + "\"timeout\":{\"perRequest\":{\"unit\":\"ms\",\"value\":" + milliseconds + "}},"
        + "\"action\":{\"weightedTargets\":[{\"virtualNode\":\"api-v1\",\"weight\":1}]}}}";

    /// <summary>web calls api.demo.local, whose router (grpc, 7000) routes to api-v1 (<paramref name="one"/>) and api-v2 (<paramref name="two"/>) by the routes a test adds.</summary>
    private static MeshRows TwoBackends(NamedBackend one, NamedBackend two) => new MeshRows()
        .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
        .Node("api-v1", "127.0.0.1", one.Port, "grpc")
        .Node("api-v2", "127.0.0.1", two.Port, "grpc")
        .Router("api-router", 7000, "grpc");

    private static string RetryRoute(int maxRetries) =>
        "{\"grpcRoute\":{\"match\":{\"serviceName\":\"" + Service + "\"},"
        + "\"retryPolicy\":{\"maxRetries\":" + maxRetries + ",\"perRetryTimeout\":{\"unit\":\"s\",\"value\":5},\"grpcRetryEvents\":[\"unavailable\"]},"
        + "\"action\":{\"weightedTargets\":[{\"virtualNode\":\"api-v1\",\"weight\":1}]}}}";

    private static Task<XdsTestHost> StartHostAsync() =>
        XdsTestHost.StartAsync();

    private static Task<RealClient> StartClientAsync(string kind, XdsTestHost host, string target) => kind == "python"
        ? RealClient.StartPythonAsync(host.GrpcUri, MeshRows.NodeId("web"), target)
        : RealClient.StartNodeAsync(host.GrpcUri, MeshRows.NodeId("web"), target);
}
