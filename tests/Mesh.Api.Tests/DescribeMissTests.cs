using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// A Describe first selects only the row's uid and version (<see cref="DataRow.CurrentVersionAsync"/>); only when no
/// answer is kept for them does a second statement read the whole row and render it (<see cref="DataRow.RenderAsync"/>).
/// The second statement's row is the answer, whatever happened between the two: an update is answered as the new
/// version (and kept under it, never under the version the first statement saw), a delete as missing. Text outside
/// ASCII, a spec PostgreSQL stores out of line, tags and list pages read after a token are answered as the stored
/// row renders, on the miss and on every hit after it.
/// </summary>
public sealed class DescribeMissTests(ApiServer api) : IClassFixture<ApiServer>
{
    private ResourceView View => api.Services.GetRequiredService<ResourceView>();

    private ReadDatabase Reads => api.Services.GetRequiredService<ReadDatabase>();

    [Fact]
    public async Task AnUpdateBetweenTheTwoStatements_IsAnsweredAsTheNewRow_AndKeptUnderItsVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("n", Specs.VirtualNode(8080));
        var id = new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", "n");

        var seen = await DataRow.CurrentVersionAsync(Reads, ApiServer.AccountId, id, CancellationToken.None);
        Assert.NotNull(seen);
        Assert.Equal(1, seen.Value.Version);

        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "n"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        var answer = await DataRow.RenderAsync(View, Reads, ApiServer.AccountId, id, CancellationToken.None);

        Assert.NotNull(answer);
        var node = JsonNode.Parse(answer)!;
        Assert.Equal(2, node["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(seen.Value.Uid.ToString(), node["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(9090, node["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.False(View.Described.TryGet(seen.Value.Uid, 1, out _)); // not kept under the version the first statement saw
        Assert.True(View.Described.TryGet(seen.Value.Uid, 2, out var kept));
        Assert.Equal(answer, kept);

        // The Describe after it is that kept answer, byte for byte, and what rendering the stored row gives.
        var body = await RawAsync(Paths.VirtualNode(mesh.Mesh, "n"));
        Assert.Equal(Encoding.UTF8.GetString(answer), body);
        Assert.Equal(await ReferenceAsync(id), Encoding.UTF8.GetString(answer));
    }

    [Fact]
    public async Task ADeleteBetweenTheTwoStatements_IsAnsweredAsMissing()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("gone");
        var id = new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", "gone");

        Assert.NotNull(await DataRow.CurrentVersionAsync(Reads, ApiServer.AccountId, id, CancellationToken.None));
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "gone"))).AssertOk();

        Assert.Null(await DataRow.RenderAsync(View, Reads, ApiServer.AccountId, id, CancellationToken.None));
        Assert.Null(await DataRow.CurrentVersionAsync(Reads, ApiServer.AccountId, id, CancellationToken.None));
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "gone"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task Unicode_ALargeSpec_AndTags_AreAnsweredAsTheStoredRowRenders_OnTheMissAndEveryHit()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        // 400 backends: a spec of about 20 KB, which PostgreSQL compresses and stores out of line (TOAST); text the
        // writer escapes (quotes, backslash, <, >, &, ', +).
        var spec = Specs.VirtualNode(8080, Enumerable.Range(0, 400).Select(i => $"svc{i}.example.local").ToArray());
        spec["serviceDiscovery"] = new JsonObject
        {
            ["awsCloudMap"] = new JsonObject
            {
                ["namespaceName"] = "ns",
                ["serviceName"] = "svc",
                ["attributes"] = new JsonArray(new JsonObject { ["key"] = "zone", ["value"] = "a\"q\\<>&'+b/c" }),
            },
        };
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), new JsonObject
        {
            ["virtualNodeName"] = "big",
            ["spec"] = spec,
            ["tags"] = OperationTests.TagList(("team", "ü-€"), ("env", "dev")),
        })).AssertOk();
        // A header match is free text: outside ASCII, four-byte UTF-8 included.
        const string unicode = "nöde-€-𝄞-中文-\"q\\<>&'+";
        var match = new JsonObject
        {
            ["prefix"] = "/",
            ["headers"] = new JsonArray(new JsonObject { ["name"] = "x-zone", ["match"] = new JsonObject { ["exact"] = unicode } }),
        };
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "r-unicode", Specs.HttpRouteWithMatch(match, ("big", 1)));

        var node = new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", "big");
        var route = new ResourceId(ResourceKind.Route, mesh.Mesh, "router", "r-unicode");
        foreach (var (id, path) in new[] { (node, Paths.VirtualNode(mesh.Mesh, "big")), (route, Paths.Route(mesh.Mesh, "router", "r-unicode")) })
        {
            var miss = await RawAsync(path);
            var hit = await RawAsync(path);
            Assert.Equal(await ReferenceAsync(id), miss);
            Assert.Equal(miss, hit);
        }

        // Tags are not shown and do not change the version: the kept answer stays the answer after tagging.
        var described = await RawAsync(Paths.VirtualNode(mesh.Mesh, "big"));
        var arn = JsonNode.Parse(described)!["metadata"]!["arn"]!.GetValue<string>();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = OperationTests.TagList(("team", "b")) })).AssertOk();
        Assert.Equal(described, await RawAsync(Paths.VirtualNode(mesh.Mesh, "big")));
        Assert.Equal(await ReferenceAsync(node), described);

        Assert.Equal(400, JsonNode.Parse(described)!["spec"]!["backends"]!.AsArray().Count);
        var routed = JsonNode.Parse(await RawAsync(Paths.Route(mesh.Mesh, "router", "r-unicode")))!;
        Assert.Equal(unicode, routed["spec"]!["httpRoute"]!["match"]!["headers"]![0]!["match"]!["exact"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListPages_AfterTokens_AreTheSameItemsAsOnePage_KeptOrNot()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var names = new[] { "a", "b-1", "b0", "c", "z" };
        foreach (var name in names)
        {
            await mesh.NodeAsync(name);
        }

        var path = Paths.VirtualNodes(mesh.Mesh);
        var whole = JsonNode.Parse(await RawAsync(path))!["virtualNodes"]!.AsArray();
        Assert.Equal(names, whole.Select(i => i!["virtualNodeName"]!.GetValue<string>()));

        // Twice: the first walk renders what the whole page did not keep yet, if anything; the second is all kept.
        for (var walk = 0; walk < 2; walk++)
        {
            var items = new List<string>();
            string? token = null;
            do
            {
                var page = JsonNode.Parse(await RawAsync(path + "?limit=2" + (token is null ? "" : "&nextToken=" + Uri.EscapeDataString(token))))!;
                items.AddRange(page["virtualNodes"]!.AsArray().Select(i => i!.ToJsonString()));
                token = page["nextToken"]?.GetValue<string>();
            }
            while (token is not null);

            Assert.Equal(whole.Select(i => i!.ToJsonString()), items);
        }
    }

    /// <summary>The *Data shape of the stored row as <see cref="ResourceView.Data"/> builds it from the entity, as nodes.</summary>
    private async Task<string> ReferenceAsync(ResourceId id)
    {
        var contexts = api.Services.GetRequiredService<IDbContextFactory<MeshDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var entity = await db.Resources.AsNoTracking().SingleAsync(r =>
            r.AccountId == ApiServer.AccountId && r.MeshName == id.MeshName && r.Kind == id.Kind.WireName && r.ParentName == id.ParentName && r.Name == id.Name);
        return View.Data(id.Kind, entity, ResourceView.Active).ToJsonString();
    }

    private async Task<string> RawAsync(string path)
    {
        using var response = await api.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }
}
