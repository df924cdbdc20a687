using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// Errors as the real AWS CLI reports them: the exit code each major version uses (v1: 255 for every
/// error; v2: 254 for a service error, 252 for parameters it refuses itself) and the App Mesh error code
/// in stderr. Server-side validation is reached with inputs the CLI itself accepts.
/// </summary>
public sealed class AwsCliErrorTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string HttpListener = """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"app.local"}}}""";

    public static TheoryData<int> Clis => [1, 2];

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task DescribeMissingMesh_IsNotFound(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var result = await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-mesh", "--mesh-name", $"cli{version}-absent");
        Assert.Contains($"cli{version}-absent", result.Stderr);
        Assert.Contains("when calling the DescribeMesh operation", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListInMissingMesh_IsNotFound(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "list-virtual-nodes", "--mesh-name", $"cli{version}-nomesh");
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "update-mesh", "--mesh-name", $"cli{version}-nomesh");
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "delete-virtual-router", "--mesh-name", $"cli{version}-nomesh", "--virtual-router-name", "r");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task MeshOfAnotherAccount_IsNotFound(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "owner");
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-mesh", "--mesh-name", mesh, "--mesh-owner", "999988887777");
        await cli.SucceedAsync(api.BaseAddress, "describe-mesh", "--mesh-name", mesh, "--mesh-owner", ApiServer.AccountId);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task DuplicateCreate_IsConflict(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "dup");
        await cli.FailWithAsync(api.BaseAddress, "ConflictException", "create-mesh", "--mesh-name", mesh);

        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);
        var result = await cli.FailWithAsync(api.BaseAddress, "ConflictException",
            "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);
        Assert.Contains("when calling the CreateVirtualNode operation", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task SameClientToken_ReturnsTheFirstResult(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "token");
        var token = $"cli{version}-token-1";

        var first = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a",
            "--spec", HttpListener, "--client-token", token))!["virtualNode"]!;
        var again = (await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a",
            "--spec", HttpListener, "--client-token", token))!["virtualNode"]!;
        Assert.Equal(first["metadata"]!["uid"]!.GetValue<string>(), again["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(1, again["metadata"]!["version"]!.GetValue<long>());

        // The same token with a different request is a conflict, not a replay.
        await cli.FailWithAsync(api.BaseAddress, "ConflictException", "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "b",
            "--spec", HttpListener, "--client-token", token);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task DeleteMeshInUse_IsResourceInUse(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "inuse");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);

        var result = await cli.FailWithAsync(api.BaseAddress, "ResourceInUseException", "delete-mesh", "--mesh-name", mesh);
        Assert.Contains("when calling the DeleteMesh operation", result.Stderr);
        var still = await cli.SucceedAsync(api.BaseAddress, "describe-mesh", "--mesh-name", mesh);
        Assert.Equal("ACTIVE", still!["mesh"]!["status"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task DeleteReferencedNodeAndRouter_IsResourceInUse(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "refs");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "r",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""");
        await cli.SucceedAsync(api.BaseAddress, "create-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "all",
            "--spec", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""");

        await cli.FailWithAsync(api.BaseAddress, "ResourceInUseException", "delete-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a");
        await cli.FailWithAsync(api.BaseAddress, "ResourceInUseException", "delete-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "r");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task RouteWeightsOver100_IsBadRequestFromTheServer(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await RouterMeshAsync(cli, "weights");

        // Each weight is within the model's 0..100, so the CLI sends it; the total of 120 is App Mesh's rule.
        var result = await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "create-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "split",
            "--spec", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":60},{"virtualNode":"b","weight":60}]}}}""");
        Assert.Contains("weightedTargets", result.Stderr);
        Assert.Contains("120", result.Stderr);
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "split");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task RouteTargetingMissingNode_IsNotFound(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await RouterMeshAsync(cli, "target");
        var result = await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "create-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "x",
            "--spec", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"ghost","weight":100}]}}}""");
        Assert.Contains("ghost", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task GatewayRouteToMissingService_IsNotFound(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "gwref");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-gateway", "--mesh-name", mesh, "--virtual-gateway-name", "gw",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""");
        var result = await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "create-gateway-route", "--mesh-name", mesh, "--virtual-gateway-name", "gw", "--gateway-route-name", "x",
            "--spec", """{"httpRoute":{"match":{"prefix":"/"},"action":{"target":{"virtualService":{"virtualServiceName":"ghost.local"}}}}}""");
        Assert.Contains("ghost.local", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task RouteWithoutPortOnMultiListenerRouter_IsBadRequest(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "ports");
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "r",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":8081,"protocol":"http"}}]}""");

        var result = await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "create-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "x",
            "--spec", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":100}]}}}""");
        Assert.Contains("port", result.Stderr);
        await cli.SucceedAsync(api.BaseAddress, "create-route", "--mesh-name", mesh, "--virtual-router-name", "r", "--route-name", "x",
            "--spec", """{"httpRoute":{"match":{"prefix":"/","port":8081},"action":{"weightedTargets":[{"virtualNode":"a","weight":100}]}}}""");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task DuplicateListenerPorts_IsBadRequest(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "dupport");
        await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":8080,"protocol":"grpc"}}]}""");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task TooManyTags_IsTooManyTagsException(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "tags");
        var arn = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/{mesh}";
        string Tags(int from) => "[" + string.Join(',', Enumerable.Range(from, 30).Select(i => $$"""{"key":"k{{i}}","value":"v"}""")) + "]";

        await cli.SucceedAsync(api.BaseAddress, "tag-resource", "--resource-arn", arn, "--tags", Tags(0));
        // 30 more is within the model's 50 per call, so only the server's per-resource quota refuses it.
        await cli.FailWithAsync(api.BaseAddress, "TooManyTagsException", "tag-resource", "--resource-arn", arn, "--tags", Tags(30));
        var tags = await cli.SucceedAsync(api.BaseAddress, "list-tags-for-resource", "--resource-arn", arn);
        Assert.Equal(30, tags!["tags"]!.AsArray().Count);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ForgedNextToken_IsBadRequest(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var result = await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "list-meshes", "--no-paginate", "--next-token", "forged.token");
        Assert.Contains("nextToken", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task OutOfRangeParameters_AreRefusedByTheCliBeforeSending(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "client");

        var result = await cli.AppMeshAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a",
            "--spec", """{"listeners":[{"portMapping":{"port":0,"protocol":"http"}}]}""");
        Assert.True(result.ExitCode == cli.ParameterValidationExitCode, $"Expected exit code {cli.ParameterValidationExitCode}.\n{result}");
        Assert.Contains("Parameter validation failed", result.Stderr);
        Assert.Contains("spec.listeners[0].portMapping.port", result.Stderr);
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ValueAboveModelMaximum_IsBadRequestFromTheServer(int version)
    {
        // Botocore checks minimums only, so a port above 65535 is sent and the API must refuse it.
        var cli = await AwsCli.GetAsync(version);
        var mesh = await MeshAsync(cli, "max");
        var result = await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a",
            "--spec", """{"listeners":[{"portMapping":{"port":70000,"protocol":"http"}}]}""");
        Assert.Contains("spec.listeners[0].portMapping.port: must be at most 65535, got 70000", result.Stderr);
        await cli.FailWithAsync(api.BaseAddress, "NotFoundException", "describe-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a");
    }

    private async Task<string> MeshAsync(AwsCli cli, string suffix)
    {
        var mesh = $"cli{cli.MajorVersion}-{suffix}";
        await cli.SucceedAsync(api.BaseAddress, "create-mesh", "--mesh-name", mesh);
        return mesh;
    }

    private async Task<string> RouterMeshAsync(AwsCli cli, string suffix)
    {
        var mesh = await MeshAsync(cli, suffix);
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "a", "--spec", HttpListener);
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-node", "--mesh-name", mesh, "--virtual-node-name", "b", "--spec", HttpListener);
        await cli.SucceedAsync(api.BaseAddress, "create-virtual-router", "--mesh-name", mesh, "--virtual-router-name", "r",
            "--spec", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""");
        return mesh;
    }
}
