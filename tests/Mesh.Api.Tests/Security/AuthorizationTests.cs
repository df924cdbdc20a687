using Mesh.Security;
using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Security;

/// <summary>Account isolation and scoped key policies, through the running API.</summary>
public sealed class AuthorizationTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string OtherAccount = "444455556666";

    [Fact]
    public async Task OtherAccounts_SeeNothing()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var other = await api.CreateKeyAsync(OtherAccount, KeyPolicy.Admin);
        using var client = api.CreateClient(other);

        (await api.SendAsync(client, HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertError(404, "NotFoundException");
        var list = (await api.SendAsync(client, HttpMethod.Get, Paths.Meshes)).AssertOk();
        Assert.Empty(list.Body!["meshes"]!.AsArray());
        (await api.SendAsync(client, HttpMethod.Delete, Paths.Mesh(mesh.Mesh))).AssertError(404, "NotFoundException");
        var arn = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/{mesh.Mesh}";
        (await api.SendAsync(client, HttpMethod.Get, Paths.Tags(arn))).AssertError(404, "NotFoundException");

        // The same name is free in the other account, and its ARN names that account.
        var own = (await api.SendAsync(client, HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh.Mesh })).AssertOk();
        Assert.Equal($"arn:aws:appmesh:{ApiServer.Region}:{OtherAccount}:mesh/{mesh.Mesh}", own.Body!["metadata"]!["arn"]!.GetValue<string>());
        Assert.Equal(OtherAccount, own.Body["metadata"]!["meshOwner"]!.GetValue<string>());
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk();
    }

    public static TheoryData<string, string, string, bool> PolicyCases() => new()
    {
        // policy, method, path (mesh "prod" exists in both accounts' view of this test), allowed?
        { "read-only", "GET", "/v20190125/meshes/prod", true },
        { "read-only", "GET", "/v20190125/meshes/prod/virtualNodes", true },
        { "read-only", "PUT", "/v20190125/meshes/prod", false },
        { "read-only", "DELETE", "/v20190125/meshes/prod/virtualNodes/web", false },
        { "prod-routes", "PUT", "/v20190125/meshes/prod/virtualRouter/router/routes/r1", true },
        { "prod-routes", "GET", "/v20190125/meshes/prod/virtualRouter/router/routes", true },
        { "prod-routes", "PUT", "/v20190125/meshes/prod/virtualNodes/web", false },
        { "prod-routes", "GET", "/v20190125/meshes/dev", false },
        { "prod-routes", "GET", "/v20190125/meshes", false },
        { "proxy", "GET", "/v20190125/meshes/prod/virtualNodes/web", false },
        { "admin", "DELETE", "/v20190125/meshes/dev", true },
    };

    [Theory]
    [MemberData(nameof(PolicyCases))]
    public async Task Policies_AllowAndDeny(string policyName, string method, string path, bool allowed)
    {
        await EnsureProdMeshAsync();
        var policy = policyName switch
        {
            "read-only" => KeyPolicy.ReadOnly,
            "prod-routes" => new KeyPolicy([new PolicyStatement(["appmesh:*Route", "appmesh:ListRoutes"], ["arn:aws:appmesh:*:*:mesh/prod/virtualRouter/*"])]),
            "proxy" => KeyPolicy.Proxy($"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/prod/virtualNode/web"),
            _ => KeyPolicy.Admin,
        };
        using var client = api.CreateClient(await api.CreateKeyAsync(ApiServer.AccountId, policy));
        var body = method == "PUT" ? BodyFor(path) : null;
        var response = await api.SendAsync(client, new HttpMethod(method), path, body);

        if (allowed)
        {
            Assert.NotEqual("ForbiddenException", response.ErrorType);
        }
        else
        {
            response.AssertError(403, "ForbiddenException");
            Assert.Contains("is not authorized to perform appmesh:", response.Message);
        }
    }

    [Theory]
    [InlineData("appmesh:*", "appmesh:CreateRoute", true)]
    [InlineData("appmesh:Describe*", "appmesh:DescribeVirtualNode", true)]
    [InlineData("appmesh:Describe*", "appmesh:DeleteVirtualNode", false)]
    [InlineData("APPMESH:describe*", "appmesh:DescribeMesh", true)]
    [InlineData("appmesh:?reateMesh", "appmesh:CreateMesh", true)]
    [InlineData("appmesh:CreateMesh", "appmesh:CreateMeshX", false)]
    public void ActionPatterns(string pattern, string action, bool matches) =>
        Assert.Equal(matches, Wildcard.Matches(pattern, action, ignoreCase: true));

    [Theory]
    [InlineData("arn:aws:appmesh:*:*:mesh/prod/*", "arn:aws:appmesh:us-east-1:111122223333:mesh/prod/virtualNode/web", true)]
    [InlineData("arn:aws:appmesh:*:*:mesh/prod/*", "arn:aws:appmesh:us-east-1:111122223333:mesh/prod", false)]
    [InlineData("arn:aws:appmesh:*:*:mesh/prod*", "arn:aws:appmesh:us-east-1:111122223333:mesh/production", true)]
    [InlineData("*", "arn:aws:appmesh:us-east-1:111122223333:mesh/x", true)]
    [InlineData("arn:aws:appmesh:*:*:mesh/Prod/*", "arn:aws:appmesh:us-east-1:111122223333:mesh/prod/virtualNode/web", false)]
    public void ResourcePatterns(string pattern, string arn, bool matches) =>
        Assert.Equal(matches, Wildcard.Matches(pattern, arn, ignoreCase: false));

    private async Task EnsureProdMeshAsync()
    {
        foreach (var name in new[] { "prod", "dev" })
        {
            var response = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = name });
            Assert.True(response.Status is 200 or 409, response.Message);
        }
    }

    private static JsonObject BodyFor(string path) => path switch
    {
        _ when path.Contains("/routes/", StringComparison.Ordinal) => new JsonObject { ["spec"] = Specs.HttpRoute(("web", 100)) },
        _ when path.Contains("/virtualNodes/", StringComparison.Ordinal) => new JsonObject { ["spec"] = Specs.VirtualNode() },
        _ => new JsonObject { ["spec"] = new JsonObject() },
    };
}
