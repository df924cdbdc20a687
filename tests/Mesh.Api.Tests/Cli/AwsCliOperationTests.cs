using Mesh.Api.Security;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// Every one of the 38 App Mesh operations through the real AWS CLI binaries (v1 and v2), checking
/// what the CLI prints: names, ARNs, versions, status, and timestamps as each CLI renders them.
/// </summary>
public sealed class AwsCliOperationTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string ArnPrefix = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/";

    public static TheoryData<int> Clis => [1, 2];

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task Mesh_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = $"cli{version}-mesh";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-mesh", "--mesh-name", mesh,
            "--spec", """{"egressFilter":{"type":"ALLOW_ALL"}}""",
            "--tags", """[{"key":"team","value":"blue"}]"""))!["mesh"]!;
        Assert.Equal(mesh, Text(created["meshName"]));
        AssertMetadata(created, ArnPrefix + mesh, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        Assert.Equal("ALLOW_ALL", Text(created["spec"]!["egressFilter"]!["type"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-mesh", "--mesh-name", mesh))!["mesh"]!;
        Assert.Equal(Text(created["metadata"]!["uid"]), Text(described["metadata"]!["uid"]));
        await AssertTimestampsMatchApiAsync(cli, described, Paths.Mesh(mesh));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-mesh", "--mesh-name", mesh,
            "--spec", """{"egressFilter":{"type":"DROP_ALL"}}"""))!["mesh"]!;
        AssertMetadata(updated, ArnPrefix + mesh, expectedVersion: 2);
        Assert.Equal("DROP_ALL", Text(updated["spec"]!["egressFilter"]!["type"]));
        Assert.Equal(cli.Timestamp(created["metadata"]!["createdAt"]), cli.Timestamp(updated["metadata"]!["createdAt"]));
        Assert.True(cli.Timestamp(updated["metadata"]!["lastUpdatedAt"]) >= cli.Timestamp(created["metadata"]!["lastUpdatedAt"]));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-meshes"))!["meshes"]!.AsArray();
        var reference = Assert.Single(listed, m => Text(m!["meshName"]) == mesh)!;
        Assert.Equal(ArnPrefix + mesh, Text(reference["arn"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());
        Assert.Equal(ApiServer.AccountId, Text(reference["meshOwner"]));
        Assert.Equal(ApiServer.AccountId, Text(reference["resourceOwner"]));
        cli.Timestamp(reference["createdAt"]);
        cli.Timestamp(reference["lastUpdatedAt"]);

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-mesh", "--mesh-name", mesh))!["mesh"]!;
        Assert.Equal(mesh, Text(deleted["meshName"]));
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-mesh", "--mesh-name", mesh);

        // The audit log holds each of the CLI's mutating calls, signed with the key the CLI used.
        var audit = await api.Services.GetRequiredService<AuditLog>().ListAsync(
            DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), ApiServer.AccountId, CancellationToken.None);
        var mine = audit.Where(r => r.ResourceArn == ArnPrefix + mesh).ToList();
        Assert.Equal(["appmesh:CreateMesh", "appmesh:UpdateMesh", "appmesh:DeleteMesh"], mine.Select(r => r.Action));
        Assert.All(mine, r => Assert.Equal((api.AdminKey.AccessKeyId, 200, ""), (r.AccessKeyId, r.StatusCode, r.ErrorCode)));
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task VirtualNode_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-vn");
        var arn = $"{ArnPrefix}{mesh}/virtualNode/orders";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "orders",
            "--spec", """
                {"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping","healthyThreshold":2,"unhealthyThreshold":3,"timeoutMillis":2000,"intervalMillis":5000}}],
                 "serviceDiscovery":{"dns":{"hostname":"orders.local"}},
                 "backends":[{"virtualService":{"virtualServiceName":"payments.local"}}]}
                """))!["virtualNode"]!;
        Assert.Equal(mesh, Text(created["meshName"]));
        Assert.Equal("orders", Text(created["virtualNodeName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        Assert.Equal(8080, created["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal("/ping", Text(created["spec"]!["listeners"]![0]!["healthCheck"]!["path"]));
        Assert.Equal("payments.local", Text(created["spec"]!["backends"]![0]!["virtualService"]!["virtualServiceName"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "orders"))!["virtualNode"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.VirtualNode(mesh, "orders"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "orders",
            "--spec", """{"listeners":[{"portMapping":{"port":9090,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"orders.local"}}}"""))!["virtualNode"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal(9090, updated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal("grpc", Text(updated["spec"]!["listeners"]![0]!["portMapping"]!["protocol"]));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-virtual-nodes", "--mesh-name", mesh))!["virtualNodes"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("orders", Text(reference["virtualNodeName"]));
        Assert.Equal(mesh, Text(reference["meshName"]));
        Assert.Equal(arn, Text(reference["arn"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "orders"))!["virtualNode"]!;
        Assert.Equal("orders", Text(deleted["virtualNodeName"]));
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "orders");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task VirtualRouter_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-vr");
        var arn = $"{ArnPrefix}{mesh}/virtualRouter/edge";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "edge",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""))!["virtualRouter"]!;
        Assert.Equal("edge", Text(created["virtualRouterName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "edge"))!["virtualRouter"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.VirtualRouter(mesh, "edge"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "edge",
            "--spec", """{"listeners":[{"portMapping":{"port":8443,"protocol":"http2"}}]}"""))!["virtualRouter"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal("http2", Text(updated["spec"]!["listeners"]![0]!["portMapping"]!["protocol"]));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-virtual-routers", "--mesh-name", mesh))!["virtualRouters"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("edge", Text(reference["virtualRouterName"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "edge"))!["virtualRouter"]!;
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "edge");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task Route_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-rt");
        await CreateNodeAsync(cli, mesh, "blue");
        await CreateNodeAsync(cli, mesh, "green");
        await CreateRouterAsync(cli, mesh, "edge");
        var arn = $"{ArnPrefix}{mesh}/virtualRouter/edge/route/split";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-route", "--mesh-name", mesh, "--virtual-router-name", "edge", "--route-name", "split",
            "--spec", """{"priority":10,"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"blue","weight":90},{"virtualNode":"green","weight":10}]},"retryPolicy":{"maxRetries":2,"perRetryTimeout":{"unit":"ms","value":250},"httpRetryEvents":["server-error"]}}}"""))!["route"]!;
        Assert.Equal("split", Text(created["routeName"]));
        Assert.Equal("edge", Text(created["virtualRouterName"]));
        Assert.Equal(mesh, Text(created["meshName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        var targets = created["spec"]!["httpRoute"]!["action"]!["weightedTargets"]!.AsArray();
        Assert.Equal(["blue:90", "green:10"], targets.Select(t => $"{Text(t!["virtualNode"])}:{t["weight"]!.GetValue<int>()}"));
        Assert.Equal(250, created["spec"]!["httpRoute"]!["retryPolicy"]!["perRetryTimeout"]!["value"]!.GetValue<long>());

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-route", "--mesh-name", mesh, "--virtual-router-name", "edge", "--route-name", "split"))!["route"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.Route(mesh, "edge", "split"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-route", "--mesh-name", mesh, "--virtual-router-name", "edge", "--route-name", "split",
            "--spec", """{"httpRoute":{"match":{"prefix":"/v2"},"action":{"weightedTargets":[{"virtualNode":"green","weight":100}]}}}"""))!["route"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal("/v2", Text(updated["spec"]!["httpRoute"]!["match"]!["prefix"]));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-routes", "--mesh-name", mesh, "--virtual-router-name", "edge"))!["routes"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("split", Text(reference["routeName"]));
        Assert.Equal("edge", Text(reference["virtualRouterName"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-route", "--mesh-name", mesh, "--virtual-router-name", "edge", "--route-name", "split"))!["route"]!;
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-route", "--mesh-name", mesh, "--virtual-router-name", "edge", "--route-name", "split");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task VirtualService_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-vs");
        await CreateNodeAsync(cli, mesh, "orders");
        await CreateRouterAsync(cli, mesh, "edge");
        var arn = $"{ArnPrefix}{mesh}/virtualService/orders.local";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local",
            "--spec", """{"provider":{"virtualNode":{"virtualNodeName":"orders"}}}"""))!["virtualService"]!;
        Assert.Equal("orders.local", Text(created["virtualServiceName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        Assert.Equal("orders", Text(created["spec"]!["provider"]!["virtualNode"]!["virtualNodeName"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local"))!["virtualService"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.VirtualService(mesh, "orders.local"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local",
            "--spec", """{"provider":{"virtualRouter":{"virtualRouterName":"edge"}}}"""))!["virtualService"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal("edge", Text(updated["spec"]!["provider"]!["virtualRouter"]!["virtualRouterName"]));
        Assert.Null(updated["spec"]!["provider"]!["virtualNode"]);

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-virtual-services", "--mesh-name", mesh))!["virtualServices"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("orders.local", Text(reference["virtualServiceName"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local"))!["virtualService"]!;
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task VirtualGateway_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-vg");
        var arn = $"{ArnPrefix}{mesh}/virtualGateway/ingress";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"logging":{"accessLog":{"file":{"path":"/dev/stdout"}}}}"""))!["virtualGateway"]!;
        Assert.Equal("ingress", Text(created["virtualGatewayName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        Assert.Equal("/dev/stdout", Text(created["spec"]!["logging"]!["accessLog"]!["file"]!["path"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress"))!["virtualGateway"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.VirtualGateway(mesh, "ingress"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress",
            "--spec", """{"listeners":[{"portMapping":{"port":9443,"protocol":"http2"}}]}"""))!["virtualGateway"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal(9443, updated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-virtual-gateways", "--mesh-name", mesh))!["virtualGateways"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("ingress", Text(reference["virtualGatewayName"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress"))!["virtualGateway"]!;
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task GatewayRoute_CreateDescribeUpdateListDelete(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await CreateMeshAsync(cli, $"cli{version}-gr");
        await CreateNodeAsync(cli, mesh, "orders");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders.local",
            "--spec", """{"provider":{"virtualNode":{"virtualNodeName":"orders"}}}""");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-service", "--mesh-name", mesh, "--virtual-service-name", "orders-v2.local",
            "--spec", """{"provider":{"virtualNode":{"virtualNodeName":"orders"}}}""");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "ingress",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""");
        var arn = $"{ArnPrefix}{mesh}/virtualGateway/ingress/gatewayRoute/orders";

        var created = (await cli.SucceedAsync(api.BaseAddress, "create-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "ingress", "--gateway-route-name", "orders",
            "--spec", """{"httpRoute":{"match":{"prefix":"/orders"},"action":{"target":{"virtualService":{"virtualServiceName":"orders.local"}}}}}"""))!["gatewayRoute"]!;
        Assert.Equal("orders", Text(created["gatewayRouteName"]));
        Assert.Equal("ingress", Text(created["virtualGatewayName"]));
        AssertMetadata(created, arn, expectedVersion: 1);
        Assert.Equal("ACTIVE", Text(created["status"]!["status"]));
        Assert.Equal("orders.local", Text(created["spec"]!["httpRoute"]!["action"]!["target"]!["virtualService"]!["virtualServiceName"]));

        var described = (await cli.SucceedAsync(api.BaseAddress, "describe-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "ingress", "--gateway-route-name", "orders"))!["gatewayRoute"]!;
        AssertMetadata(described, arn, expectedVersion: 1);
        await AssertTimestampsMatchApiAsync(cli, described, Paths.GatewayRoute(mesh, "ingress", "orders"));

        var updated = (await cli.SucceedAsync(api.BaseAddress, "update-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "ingress", "--gateway-route-name", "orders",
            "--spec", """{"httpRoute":{"match":{"prefix":"/orders/v2"},"action":{"target":{"virtualService":{"virtualServiceName":"orders-v2.local"}}}}}"""))!["gatewayRoute"]!;
        AssertMetadata(updated, arn, expectedVersion: 2);
        Assert.Equal("orders-v2.local", Text(updated["spec"]!["httpRoute"]!["action"]!["target"]!["virtualService"]!["virtualServiceName"]));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-gateway-routes", "--mesh-name", mesh, "--virtual-gateway-name", "ingress"))!["gatewayRoutes"]!.AsArray();
        var reference = Assert.Single(listed)!;
        Assert.Equal("orders", Text(reference["gatewayRouteName"]));
        Assert.Equal("ingress", Text(reference["virtualGatewayName"]));
        Assert.Equal(2, reference["version"]!.GetValue<long>());

        var deleted = (await cli.SucceedAsync(api.BaseAddress, "delete-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "ingress", "--gateway-route-name", "orders"))!["gatewayRoute"]!;
        Assert.Equal("DELETED", Text(deleted["status"]!["status"]));
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "ingress", "--gateway-route-name", "orders");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task Tags_TagUntagAndList(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = $"cli{version}-tags";
        await cli.SucceedAsync(api.BaseAddress, "create-mesh", "--mesh-name", mesh, "--tags", """[{"key":"team","value":"blue"}]""");
        await CreateNodeAsync(cli, mesh, "orders");
        var meshArn = ArnPrefix + mesh;
        var nodeArn = $"{meshArn}/virtualNode/orders";

        Assert.Equal(["team=blue"], await TagsAsync(cli, meshArn));

        // TagResource and UntagResource answer with an empty body, so the CLI prints nothing.
        Assert.Null(await cli.SucceedAsync(api.BaseAddress, "tag-resource", "--resource-arn", meshArn,
            "--tags", """[{"key":"env","value":"prod"},{"key":"team","value":"green"}]"""));
        Assert.Equal(["env=prod", "team=green"], await TagsAsync(cli, meshArn));

        Assert.Null(await cli.SucceedAsync(api.BaseAddress, "untag-resource", "--resource-arn", meshArn, "--tag-keys", "team", "absent"));
        Assert.Equal(["env=prod"], await TagsAsync(cli, meshArn));

        // Any kind is taggable by its ARN.
        Assert.Null(await cli.SucceedAsync(api.BaseAddress, "tag-resource", "--resource-arn", nodeArn, "--tags", "key=tier,value=backend"));
        Assert.Equal(["tier=backend"], await TagsAsync(cli, nodeArn));

        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "list-tags-for-resource", "--resource-arn", $"{meshArn}/virtualNode/absent");
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "tag-resource", "--resource-arn", $"{meshArn}/virtualNode/absent", "--tags", "key=a,value=b");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task NamesWithPercentSignsUnicodeAndColons_RoundTrip(int version)
    {
        // Valid App Mesh names the CLI percent-encodes into URI labels and ARNs; each must come back as sent.
        var cli = await AwsCli.GetAsync(version);
        var mesh = $"cli{version} a%41 ü名:x+y";
        const string node = "n:1%2F";
        var nodeArn = $"{ArnPrefix}{mesh}/virtualNode/{node}";

        Assert.Equal(mesh, Text((await cli.SucceedAsync(api.BaseAddress, "create-mesh", "--mesh-name", mesh))!["mesh"]!["meshName"]));
        Assert.Equal(mesh, Text((await cli.SucceedAsync(api.BaseAddress, "describe-mesh", "--mesh-name", mesh))!["mesh"]!["meshName"]));
        var created = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", node, "--spec", "{}"))!["virtualNode"]!;
        Assert.Equal(nodeArn, Text(created["metadata"]!["arn"]));
        Assert.Equal(node, Text((await cli.SucceedAsync(api.BaseAddress, "describe-virtual-node", "--mesh-name", mesh, "--virtual-node-name", node))!["virtualNode"]!["virtualNodeName"]));

        await cli.SucceedAsync(api.BaseAddress, "tag-resource", "--resource-arn", nodeArn, "--tags", "key=k,value=v");
        Assert.Equal(["k=v"], await TagsAsync(cli, nodeArn));

        var listed = (await cli.SucceedAsync(api.BaseAddress, "list-virtual-nodes", "--mesh-name", mesh))!["virtualNodes"]!.AsArray();
        Assert.Equal(node, Text(Assert.Single(listed)!["virtualNodeName"]));
        Assert.Equal("DELETED", Text((await cli.SucceedAsync(api.BaseAddress, "delete-virtual-node", "--mesh-name", mesh, "--virtual-node-name", node))!["virtualNode"]!["status"]!["status"]));
        Assert.Equal("DELETED", Text((await cli.SucceedAsync(api.BaseAddress, "delete-mesh", "--mesh-name", mesh))!["mesh"]!["status"]!["status"]));
    }

    private async Task<string> CreateMeshAsync(AwsCli cli, string mesh)
    {
        await cli.SucceedAsync(api.BaseAddress, "create-mesh", "--mesh-name", mesh);
        return mesh;
    }

    private Task CreateNodeAsync(AwsCli cli, string mesh, string node) =>
        cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", node,
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"app.local"}}}""");

    private Task CreateRouterAsync(AwsCli cli, string mesh, string router) =>
        cli.SucceedAsync(api.BaseAddress, "create-virtual-router", "--mesh-name", mesh, "--virtual-router-name", router,
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""");

    private async Task<string[]> TagsAsync(AwsCli cli, string arn)
    {
        var output = await cli.SucceedAsync(api.BaseAddress, "list-tags-for-resource", "--resource-arn", arn);
        return output!["tags"]!.AsArray().Select(t => $"{Text(t!["key"])}={Text(t["value"])}").ToArray();
    }

    /// <summary>The instants the CLI printed are the ones the API returns over plain HTTP.</summary>
    private async Task AssertTimestampsMatchApiAsync(AwsCli cli, JsonNode printed, string path)
    {
        var direct = (await api.SendAsync(HttpMethod.Get, path)).AssertOk().Body!["metadata"]!;
        foreach (var field in new[] { "createdAt", "lastUpdatedAt" })
        {
            var expected = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(direct[field]!.GetValue<double>() * 1000));
            Assert.Equal(expected, cli.Timestamp(printed["metadata"]![field]));
        }
    }

    private static void AssertMetadata(JsonNode resource, string arn, long expectedVersion)
    {
        var metadata = resource["metadata"]!;
        Assert.Equal(arn, Text(metadata["arn"]));
        Assert.Equal(expectedVersion, metadata["version"]!.GetValue<long>());
        Assert.True(Guid.TryParse(Text(metadata["uid"]), out _), $"uid is not a UUID: {metadata["uid"]}");
        Assert.Equal(ApiServer.AccountId, Text(metadata["meshOwner"]));
        Assert.Equal(ApiServer.AccountId, Text(metadata["resourceOwner"]));
        Assert.NotNull(metadata["createdAt"]);
        Assert.NotNull(metadata["lastUpdatedAt"]);
    }

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "<missing>";
}
