using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// Pagination as the CLI drives it: --page-size sets limit and follows nextToken to the end,
/// --max-items/--starting-token resume where the previous call stopped, and --no-paginate with
/// --limit/--next-token passes the API's own token through.
/// </summary>
public sealed class AwsCliPaginationTests(ApiServer api) : IClassFixture<ApiServer>
{
    public static TheoryData<int> Clis => [1, 2];

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListMeshes_PageSize_FollowsEveryNextToken(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        await CreateMeshesAsync(version, 7);
        var all = await AllMeshNamesAsync();

        var output = await cli.SucceedAsync(api.BaseAddress, "list-meshes", "--page-size", "2");
        Assert.Equal(all, Names(output!["meshes"]!));
        Assert.Null(output["NextToken"]);
        Assert.Null(output["nextToken"]);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListMeshes_MaxItems_ResumesFromStartingToken(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        await CreateMeshesAsync(version, 7);
        var all = await AllMeshNamesAsync();

        var walked = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            string[] paging = token is null ? ["--max-items", "3", "--page-size", "2"] : ["--max-items", "3", "--page-size", "2", "--starting-token", token];
            var output = await cli.SucceedAsync(api.BaseAddress, ["list-meshes", .. paging]);
            var page = Names(output!["meshes"]!);
            token = output["NextToken"]?.GetValue<string>();
            Assert.True(page.Count == 3 || token is null, $"A page short of --max-items must be the last: {output}");
            walked.AddRange(page);
            calls++;
        }
        while (token is not null && calls <= all.Count);

        Assert.Equal(all, walked);
        Assert.True(calls >= 2, $"Expected the listing of {all.Count} meshes to take several calls of 3.");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListMeshes_NoPaginate_PassesTheApiTokenThrough(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        await CreateMeshesAsync(version, 5);
        var all = await AllMeshNamesAsync();

        var first = await cli.SucceedAsync(api.BaseAddress, "list-meshes", "--no-paginate", "--limit", "2");
        Assert.Equal(all.Take(2), Names(first!["meshes"]!));
        var token = first["nextToken"]!.GetValue<string>();

        var second = await cli.SucceedAsync(api.BaseAddress, "list-meshes", "--no-paginate", "--limit", "2", "--next-token", token);
        Assert.Equal(all.Skip(2).Take(2), Names(second!["meshes"]!));
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListVirtualNodes_PageSize_ListsEveryNodeOnce(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = $"cli{version}-nodes";
        await MeshBuilder.CreateAsync(api, mesh).ContinueWith(async t =>
        {
            var builder = await t;
            for (var i = 0; i < 5; i++)
            {
                await builder.NodeAsync($"node-{i}");
            }
        }).Unwrap();

        var output = await cli.SucceedAsync(api.BaseAddress, "list-virtual-nodes", "--mesh-name", mesh, "--page-size", "2");
        var names = output!["virtualNodes"]!.AsArray().Select(n => n!["virtualNodeName"]!.GetValue<string>()).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"node-{i}"), names);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListTagsForResource_PageSize_ListsEveryTagOnceInKeyOrder(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var mesh = $"cli{version}-tagged";
        await MeshBuilder.CreateAsync(api, mesh);
        var arn = $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:mesh/{mesh}";
        var keys = Enumerable.Range(0, 7).Select(i => $"key-{6 - i}").ToList();
        var tags = new JsonArray(keys.Select(k => (JsonNode)new JsonObject { ["key"] = k, ["value"] = "v" }).ToArray());
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = tags })).AssertOk();

        var output = await cli.SucceedAsync(api.BaseAddress, "list-tags-for-resource", "--resource-arn", arn, "--page-size", "2");
        var listed = output!["tags"]!.AsArray().Select(t => t!["key"]!.GetValue<string>()).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task ListMeshes_LimitAboveMaximum_IsRefusedByTheServer(int version)
    {
        // The CLIs check only a member's minimum client-side; a limit above 100 reaches the API.
        var cli = await AwsCli.GetAsync(version);
        var result = await cli.FailWithAsync(api.BaseAddress, "BadRequestException", "list-meshes", "--no-paginate", "--limit", "101");
        Assert.Contains("limit: must be at most 100, got 101", result.Stderr);
    }

    private async Task CreateMeshesAsync(int version, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await MeshBuilder.CreateAsync(api, $"cli{version}-page-{Guid.NewGuid():N}"[..24]);
        }
    }

    /// <summary>Every mesh, in the API's order, read over plain HTTP in one call.</summary>
    private async Task<List<string>> AllMeshNamesAsync()
    {
        var body = (await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?limit=100")).AssertOk().Body!;
        Assert.Null(body["nextToken"]);
        return Names(body["meshes"]!);
    }

    private static List<string> Names(JsonNode meshes) =>
        meshes.AsArray().Select(m => m!["meshName"]!.GetValue<string>()).ToList();
}
