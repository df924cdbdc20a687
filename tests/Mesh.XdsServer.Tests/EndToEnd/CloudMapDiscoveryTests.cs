using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// Cloud Map discovery end to end: instances registered with <c>aws servicediscovery</c> (the API in its own process)
/// become the endpoints real proxyless gRPC clients call, through the change feed and the full translation. A
/// deregistered or UNHEALTHY instance stops getting calls, a new one starts, the node's attribute filter selects a
/// subset, and a node whose Cloud Map service does not exist shows up as a warning in /proxy-status and /metrics.
/// </summary>
public sealed class CloudMapDiscoveryTests
{
    private const string Service = "envoy.service.status.v3.ClientStatusDiscoveryService";

    public static TheoryData<string> Clients() => new() { "python", "node" };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task RegisteredInstances_AreWhatRealClientsCall(string kind)
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var database = await server.CreateDatabaseAsync(TaskTimeouts.Token());
        await using var b1 = await NamedBackend.StartAsync("backend-1");
        await using var b2 = await NamedBackend.StartAsync("backend-2");
        await using var b3 = await NamedBackend.StartAsync("backend-3");
        await using var api = await ApiProcess.StartAsync(database);
        await using var xds = await XdsTestHost.StartAsync(database);
        var aws = new AwsCli(api);

        // The registry: an HTTP namespace and a service with custom health checks, two instances in two zones.
        var operation = (await aws.ServiceDiscoveryAsync("create-http-namespace", "--name", "cm.local"))!["OperationId"]!.GetValue<string>();
        var namespaceId = (await aws.ServiceDiscoveryAsync("get-operation", "--operation-id", operation))!["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();
        var serviceId = (await aws.ServiceDiscoveryAsync("create-service", "--name", "api", "--namespace-id", namespaceId,
            "--health-check-custom-config", "FailureThreshold=1"))!["Service"]!["Id"]!.GetValue<string>();
        async Task Register(string id, NamedBackend backend, string zone, string version) =>
            await aws.ServiceDiscoveryAsync("register-instance", "--service-id", serviceId, "--instance-id", id, "--attributes",
                $"AWS_INSTANCE_IPV4=127.0.0.1,AWS_INSTANCE_PORT={backend.Port.ToString(CultureInfo.InvariantCulture)},AVAILABILITY_ZONE={zone},version={version}");
        await Register("i-1", b1, "zone-a", "v1");
        await Register("i-2", b2, "zone-b", "v1");

        // The mesh: a node found through Cloud Map, the service it provides, and a client node calling it, plus a
        // node whose Cloud Map service does not exist.
        await aws.AppMeshAsync("create-mesh", "--mesh-name", "demo");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "api", "--spec", ApiNode(null));
        await aws.AppMeshAsync("create-virtual-service", "--mesh-name", "demo", "--virtual-service-name", "api.demo.local", "--spec",
            """{"provider":{"virtualNode":{"virtualNodeName":"api"}}}""");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "ghost", "--spec",
            """{"listeners":[{"portMapping":{"port":7000,"protocol":"grpc"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"cm.local","serviceName":"absent"}}}""");
        await aws.AppMeshAsync("create-virtual-service", "--mesh-name", "demo", "--virtual-service-name", "ghost.demo.local", "--spec",
            """{"provider":{"virtualNode":{"virtualNodeName":"ghost"}}}""");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "web", "--spec",
            """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.1"}},"backends":[{"virtualService":{"virtualServiceName":"api.demo.local"}},{"virtualService":{"virtualServiceName":"ghost.demo.local"}}]}""");

        await using var client = kind == "python"
            ? await RealClient.StartPythonAsync(xds.GrpcUri, "mesh/demo/virtualNode/web", "xds:///api.demo.local")
            : await RealClient.StartNodeAsync(xds.GrpcUri, "mesh/demo/virtualNode/web", "xds:///api.demo.local");

        // Both registered instances get calls (one locality each, equal weights).
        var counts = await client.CallAsync(100);
        Assert.True(counts.GetValueOrDefault("backend-1") >= 20 && counts.GetValueOrDefault("backend-2") >= 20, Describe(counts));

        // Deregistered: i-1 stops getting calls.
        await aws.ServiceDiscoveryAsync("deregister-instance", "--service-id", serviceId, "--instance-id", "i-1");
        await Eventually.TrueAsync(async () => (await client.CallAsync(10)).GetValueOrDefault("backend-2") == 10);

        // Registered later: i-3 starts getting calls.
        await Register("i-3", b3, "zone-a", "v2");
        await Eventually.TrueAsync(async () => (await client.CallAsync(20)).GetValueOrDefault("backend-3") > 0);

        // Marked UNHEALTHY: i-2 stops getting calls; HEALTHY again, it is back.
        await aws.ServiceDiscoveryAsync("update-instance-custom-health-status", "--service-id", serviceId, "--instance-id", "i-2", "--status", "UNHEALTHY");
        await Eventually.TrueAsync(async () => (await client.CallAsync(10)).GetValueOrDefault("backend-3") == 10);
        await aws.ServiceDiscoveryAsync("update-instance-custom-health-status", "--service-id", serviceId, "--instance-id", "i-2", "--status", "HEALTHY");
        await Eventually.TrueAsync(async () => (await client.CallAsync(20)).GetValueOrDefault("backend-2") > 0);

        // The node's attribute filter selects the v2 instances only.
        await aws.AppMeshAsync("update-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "api", "--spec", ApiNode("v2"));
        await Eventually.TrueAsync(async () => (await client.CallAsync(10)).GetValueOrDefault("backend-3") == 10);

        // The unknown service is visible: in /proxy-status for the proxy that calls it, and in /metrics.
        var status = JsonNode.Parse(await xds.Admin.GetStringAsync("/proxy-status"))!;
        var web = status["proxies"]!.AsArray().Single(p => p!["nodeId"]!.GetValue<string>() == "mesh/demo/virtualNode/web")!;
        var warnings = web["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.Contains("virtualNode/ghost", StringComparison.Ordinal) && w.Contains("'absent'", StringComparison.Ordinal)
                                       && w.Contains("does not exist", StringComparison.Ordinal));
        var metrics = await xds.Admin.GetStringAsync("/metrics");
        Assert.True(PrometheusText.Value(metrics, "mesh_xds_translation_warnings_total", ("kind", "unknown_registry_service")) >= 1, metrics);
        Assert.True(PrometheusText.Value(metrics, "mesh_xds_translation_warnings_standing", ("kind", "unknown_registry_service")) >= 1, metrics);
    }

    private static string ApiNode(string? version) =>
        """{"listeners":[{"portMapping":{"port":7000,"protocol":"grpc"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"cm.local","serviceName":"api"ATTRIBUTES}}}"""
            .Replace("ATTRIBUTES", version is null ? "" : $$""","attributes":[{"key":"version","value":"{{version}}"}]""");

    private static string Describe(Dictionary<string, int> counts) =>
        "calls per backend: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));
}
