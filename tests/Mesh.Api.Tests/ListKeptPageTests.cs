using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// A list page whose items are all kept is read by its keys alone (uid, version, name); any other page is read whole
/// and rendered (issue14as). Both give the same bytes, for every kind that has a List, with
/// a limit and nextToken, names that JSON and URIs must escape and names outside ASCII, and an item that changed
/// (a new version, or a new resource of the same name) is shown as it is now, never as the item kept for its old row.
/// </summary>
public sealed class ListKeptPageTests(ApiServer api) : IClassFixture<ApiServer>
{
    /// <summary>Names a page must escape or order byte-wise: quotes, a backslash, markup, URI characters, two- to four-byte UTF-8.</summary>
    private static readonly string[] HostileNames =
    [
        "A-upper", "quote\"back\\slash", "<tag>&amp;'", "sp ace+plus%25?#", "zz-\u00e9t\u00e9", "\u30ce\u30fc\u30c9-\u7db2", "\ud83d\ude80-rocket",
    ];

    [Fact]
    public async Task EveryKindsPages_AreTheSameBytes_ReadWholeAndFromTheKeptItems()
    {
        var mesh = await MeshBuilder.CreateAsync(api, "mesh-\u00fc\u7db2-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var name in HostileNames)
        {
            await mesh.NodeAsync(name);
        }

        await mesh.RouterAsync("router-\u00e9");
        await mesh.ServiceAsync("svc-\"quoted\"", Specs.ServiceByRouter("router-\u00e9"));
        await mesh.ServiceAsync("svc-\u30b5\u30fc\u30d3\u30b9", Specs.ServiceByNode(HostileNames[1]));
        for (var i = 0; i < HostileNames.Length; i++)
        {
            await mesh.RouteAsync("router-\u00e9", HostileNames[i], Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = $"/p{i}" }, (HostileNames[0], 1)));
        }

        await mesh.GatewayAsync("gw-<\u00e9>");
        for (var i = 0; i < 3; i++)
        {
            await mesh.GatewayRouteAsync("gw-<\u00e9>", HostileNames[i], Specs.GatewayRoute("svc-\"quoted\"", $"/p{i}"));
        }

        string[] lists =
        [
            Paths.VirtualNodes(mesh.Mesh), Paths.VirtualServices(mesh.Mesh), Paths.VirtualRouters(mesh.Mesh),
            Paths.Routes(mesh.Mesh, "router-\u00e9"), Paths.VirtualGateways(mesh.Mesh), Paths.GatewayRoutes(mesh.Mesh, "gw-<\u00e9>"),
        ];
        foreach (var list in lists)
        {
            foreach (var limit in new[] { 1, 2, 3, 100 })
            {
                // The first walk renders every item (no page of new resources is kept); the second finds them all kept.
                var whole = await WalkAsync(list, limit);
                var kept = await WalkAsync(list, limit);
                Assert.Equal(whole, kept);
            }
        }

        // The items say what Describe says, in byte-wise name order.
        var nodes = Items(await WalkAsync(Paths.VirtualNodes(mesh.Mesh), 3), "virtualNodes");
        Assert.Equal(HostileNames.Order(StringComparer.Ordinal).ToArray(), nodes.Select(n => n["virtualNodeName"]!.GetValue<string>()).ToArray());
        foreach (var node in nodes)
        {
            var described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, node["virtualNodeName"]!.GetValue<string>()))).AssertOk().Body!;
            Assert.Equal(RefOf(described, "virtualNodeName"), Canonical(node));
        }

        // Meshes are listed the same way (the account's meshes: every other test's here as well).
        var meshesWhole = await WalkAsync(Paths.Meshes, 2);
        Assert.Equal(meshesWhole, await WalkAsync(Paths.Meshes, 2));
        Assert.Contains(Items(meshesWhole, "meshes"), m => m["meshName"]!.GetValue<string>() == mesh.Mesh);
    }

    [Fact]
    public async Task AChangedItem_IsShownAsItIsNow_OnAPageOfKeptItems()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await mesh.NodeAsync(name);
        }

        var path = Paths.VirtualNodes(mesh.Mesh);
        await WalkAsync(path, 2); // every item kept at version 1

        // b gets a new version; c is deleted and made again (a new uid, version 1 again); d is deleted.
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "b"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        var oldC = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "c"))).AssertOk().Body!;
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "c"))).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "d"))).AssertOk();

        // The new c's createdAt (milliseconds) must differ from the old one's, or the old item would look right.
        var oldCreated = oldC["metadata"]!["createdAt"]!.GetValue<double>();
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 <= oldCreated + 0.001)
        {
            await Task.Yield();
        }

        await mesh.NodeAsync("c");
        var newC = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "c"))).AssertOk().Body!;
        Assert.NotEqual(oldC["metadata"]!["uid"]!.GetValue<string>(), newC["metadata"]!["uid"]!.GetValue<string>());
        Assert.NotEqual(oldCreated, newC["metadata"]!["createdAt"]!.GetValue<double>());

        foreach (var walk in new[] { "after the changes", "all kept again" })
        {
            var items = Items(await WalkAsync(path, 2), "virtualNodes");
            Assert.Equal(["a", "b", "c"], items.Select(n => n["virtualNodeName"]!.GetValue<string>()));
            foreach (var item in items)
            {
                var described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, item["virtualNodeName"]!.GetValue<string>()))).AssertOk().Body!;
                Assert.True(RefOf(described, "virtualNodeName") == Canonical(item), $"{walk}: {item.ToJsonString()} is not what Describe says: {described.ToJsonString()}");
            }

            Assert.Equal(2, items[1]["version"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task AStaleOrHostileToken_IsStillRefused_WhenThePageWouldBeKept()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await mesh.NodeAsync(name);
        }

        var path = Paths.VirtualNodes(mesh.Mesh);
        await WalkAsync(path, 1);
        var token = (await api.SendAsync(HttpMethod.Get, path + "?limit=1")).AssertOk().Body!["nextToken"]!.GetValue<string>();
        var other = await MeshBuilder.CreateAsync(api);
        await other.NodeAsync("a");
        await other.NodeAsync("b");

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(other.Mesh) + "?limit=1&nextToken=" + Uri.EscapeDataString(token)))
            .AssertError(400, "BadRequestException");
        foreach (var hostile in new[] { token[..^1], token + "A", "\u00e9.\u00e9", "a.b.c", new string('A', 3000) })
        {
            (await api.SendAsync(HttpMethod.Get, path + "?limit=1&nextToken=" + Uri.EscapeDataString(hostile))).AssertError(400, "BadRequestException");
        }

        // The token still reads on after its page's last name, whether that resource is there or not.
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "a"))).AssertOk();
        var rest = (await api.SendAsync(HttpMethod.Get, path + "?limit=1&nextToken=" + Uri.EscapeDataString(token))).AssertOk().Body!;
        Assert.Equal("b", rest["virtualNodes"]![0]!["virtualNodeName"]!.GetValue<string>());
    }

    /// <summary>Every page of <paramref name="list"/> at <paramref name="limit"/>, each as the exact bytes of its answer.</summary>
    private async Task<List<string>> WalkAsync(string list, int limit)
    {
        var pages = new List<string>();
        string? token = null;
        do
        {
            var separator = list.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            using var response = await api.Client.GetAsync($"{list}{separator}limit={limit}" + (token is null ? "" : "&nextToken=" + Uri.EscapeDataString(token)));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{list}: {(int)response.StatusCode} {body}");
            pages.Add(body);
            token = JsonNode.Parse(body)!["nextToken"]?.GetValue<string>();
        }
        while (token is not null);
        return pages;
    }

    private static List<JsonNode> Items(List<string> pages, string member) =>
        pages.SelectMany(page => JsonNode.Parse(page)![member]!.AsArray().Select(n => n!)).ToList();

    /// <summary>What a list item must say of a described resource (<see cref="ListPageTests.RefOf"/>), comparable as text.</summary>
    private static string RefOf(JsonNode described, params string[] names) => Canonical(ListPageTests.RefOf(described, names));

    private static string Canonical(JsonNode item) =>
        string.Join(",", item.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value!.ToJsonString()}"));
}
