using System.Globalization;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// The whole product, as a user drives it: the mesh is built with the real AWS CLI through the API
/// (its own process, SigV4 on), stored in PostgreSQL, followed by the xDS server through the change feed
/// and translated in full, and obeyed by real proxyless gRPC clients — including changes made while
/// they run.
/// </summary>
public sealed class RestApiToProxylessClientsTests
{
    private const string Service = "envoy.service.status.v3.ClientStatusDiscoveryService";

    public static TheoryData<string> Clients() => new() { "python", "node" };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task MeshBuiltWithTheCli_DrivesRealClients(string kind)
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var database = await server.CreateDatabaseAsync(TaskTimeouts.Token());
        await using var v1 = await NamedBackend.StartAsync("backend-1");
        await using var v2 = await NamedBackend.StartAsync("backend-2");
        await using var api = await ApiProcess.StartAsync(database);
        await using var xds = await XdsTestHost.StartAsync(database);
        var aws = new AwsCli(api);

        // Two gRPC backends, a router splitting 80/20, the virtual service it provides, and the client node.
        await aws.AppMeshAsync("create-mesh", "--mesh-name", "demo");
        foreach (var (name, backend) in new[] { ("api-v1", v1), ("api-v2", v2) })
        {
            await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", name, "--spec",
                """{"listeners":[{"portMapping":{"port":PORT,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"127.0.0.1"}}}""".Replace("PORT", backend.Port.ToString(CultureInfo.InvariantCulture)));
        }

        await aws.AppMeshAsync("create-virtual-router", "--mesh-name", "demo", "--virtual-router-name", "api-router", "--spec",
            """{"listeners":[{"portMapping":{"port":7000,"protocol":"grpc"}}]}""");
        await aws.AppMeshAsync("create-route", "--mesh-name", "demo", "--virtual-router-name", "api-router", "--route-name", "split", "--spec", Split(80, 20));
        await aws.AppMeshAsync("create-virtual-service", "--mesh-name", "demo", "--virtual-service-name", "api.demo.local", "--spec",
            """{"provider":{"virtualRouter":{"virtualRouterName":"api-router"}}}""");
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "web", "--spec",
            """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.1"}},"backends":[{"virtualService":{"virtualServiceName":"api.demo.local"}}]}""");

        await using var client = kind == "python"
            ? await RealClient.StartPythonAsync(xds.GrpcUri, "mesh/demo/virtualNode/web", "xds:///api.demo.local")
            : await RealClient.StartNodeAsync(xds.GrpcUri, "mesh/demo/virtualNode/web", "xds:///api.demo.local");

        // 200 calls at 80/20: about 160 to v1 (standard deviation near 6), so [130, 190] fails only when the split is wrong.
        var counts = await client.CallAsync(200);
        Assert.InRange(counts.GetValueOrDefault("backend-1"), 130, 190);
        Assert.InRange(counts.GetValueOrDefault("backend-2"), 10, 70);

        // Shift all traffic to v2 through the API; the client follows on its open stream.
        await aws.AppMeshAsync("update-route", "--mesh-name", "demo", "--virtual-router-name", "api-router", "--route-name", "split", "--spec", Split(0, 100));
        await Eventually.TrueAsync(async () => (await client.CallAsync(10)).GetValueOrDefault("backend-2") == 10);

        // A method-matched route at a higher priority takes the calls back to v1.
        await aws.AppMeshAsync("create-route", "--mesh-name", "demo", "--virtual-router-name", "api-router", "--route-name", "by-method", "--spec",
            """{"priority":0,"grpcRoute":{"match":{"serviceName":"SERVICE","methodName":"FetchClientStatus"},"action":{"weightedTargets":[{"virtualNode":"api-v1","weight":1}]}}}""".Replace("SERVICE", Service));
        await Eventually.TrueAsync(async () => (await client.CallAsync(10)).GetValueOrDefault("backend-1") == 10);
    }

    private static string Split(int v1, int v2) =>
        """{"priority":10,"grpcRoute":{"match":{"serviceName":"SERVICE"},"action":{"weightedTargets":[{"virtualNode":"api-v1","weight":V1},{"virtualNode":"api-v2","weight":V2}]}}}"""
            .Replace("SERVICE", Service).Replace("V1", v1.ToString(CultureInfo.InvariantCulture)).Replace("V2", v2.ToString(CultureInfo.InvariantCulture));
}
