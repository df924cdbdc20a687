using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// A Describe's answer is rendered once per uid and version and then sent as it was rendered
/// (<see cref="ResourceView.Described"/>), and so is a list
/// item (<see cref="ResourceView.Listed"/>): the kept answer is byte for byte the first, for large specs and
/// escaped text too, and an update, or a delete and a re-create under the same name, is answered with the new row.
/// </summary>
public sealed class DescribeAnswerTests(ApiServer api) : IClassFixture<ApiServer>
{
    private ResourceView View => api.Services.GetRequiredService<ResourceView>();

    [Fact]
    public async Task AKeptAnswer_IsTheRenderedOne_ByteForByte()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        // Sixty backends (a few KB of spec) and text the writer escapes (quotes, backslash, <, >, &, ', +).
        var big = Specs.VirtualNode(8080, Enumerable.Range(0, 60).Select(i => $"svc{i}.example.local").ToArray());
        big["serviceDiscovery"] = new JsonObject
        {
            ["awsCloudMap"] = new JsonObject
            {
                ["namespaceName"] = "ns",
                ["serviceName"] = "svc",
                ["attributes"] = new JsonArray(new JsonObject { ["key"] = "zone", ["value"] = "a\"q\\<>&'+b/c" }),
            },
        };
        await mesh.NodeAsync("big", big);
        await mesh.RouterAsync("router");
        await mesh.RouteAsync("router", "r1", Specs.HttpRoute(("big", 1)));

        foreach (var path in new[] { Paths.VirtualNode(mesh.Mesh, "big"), Paths.Route(mesh.Mesh, "router", "r1"), Paths.Mesh(mesh.Mesh) })
        {
            var first = await RawAsync(path);
            var kept = View.Described.Count;
            var second = await RawAsync(path);
            var third = await RawAsync(path);

            Assert.Equal(first, second);
            Assert.Equal(first, third);
            Assert.Equal(kept, View.Described.Count); // the later calls were answered from what the first kept
        }

        var node = JsonNode.Parse(await RawAsync(Paths.VirtualNode(mesh.Mesh, "big")))!;
        Assert.Equal(60, node["spec"]!["backends"]!.AsArray().Count);
        Assert.Equal("a\"q\\<>&'+b/c", node["spec"]!["serviceDiscovery"]!["awsCloudMap"]!["attributes"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUpdate_OrARecreatedResource_IsAnsweredWithItsNewRow()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("n", Specs.VirtualNode(8080));
        var path = Paths.VirtualNode(mesh.Mesh, "n");
        var first = JsonNode.Parse(await RawAsync(path))!;
        await RawAsync(path); // kept

        (await api.SendAsync(HttpMethod.Put, path, new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        var updated = JsonNode.Parse(await RawAsync(path))!;
        Assert.Equal(2, updated["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(9090, updated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal(first["metadata"]!["uid"]!.GetValue<string>(), updated["metadata"]!["uid"]!.GetValue<string>());

        (await api.SendAsync(HttpMethod.Delete, path)).AssertOk();
        (await api.SendAsync(HttpMethod.Get, path)).AssertError(404, "NotFoundException");
        await mesh.NodeAsync("n", Specs.VirtualNode(7070));
        var recreated = JsonNode.Parse(await RawAsync(path))!;
        Assert.Equal(1, recreated["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(7070, recreated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.NotEqual(first["metadata"]!["uid"]!.GetValue<string>(), recreated["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task AListPage_OfKeptItems_IsTheRenderedOne_AndShowsUpdates()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await mesh.NodeAsync(name);
        }

        var path = Paths.VirtualNodes(mesh.Mesh);
        var first = await RawAsync(path);
        Assert.Equal(first, await RawAsync(path));
        var page = await RawAsync(path + "?limit=2");
        var token = JsonNode.Parse(page)!["nextToken"]!.GetValue<string>();
        Assert.Equal(page, await RawAsync(path + "?limit=2"));
        Assert.Equal(await RawAsync(path + "?limit=2&nextToken=" + Uri.EscapeDataString(token)), await RawAsync(path + "?limit=2&nextToken=" + Uri.EscapeDataString(token)));

        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "b"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        var items = JsonNode.Parse(await RawAsync(path))!["virtualNodes"]!.AsArray();
        var described = JsonNode.Parse(await RawAsync(Paths.VirtualNode(mesh.Mesh, "b")))!;
        var b = Assert.Single(items, i => i!["virtualNodeName"]!.GetValue<string>() == "b")!;
        Assert.Equal(2, b["version"]!.GetValue<long>());
        Assert.Equal(described["metadata"]!["lastUpdatedAt"]!.ToJsonString(), b["lastUpdatedAt"]!.ToJsonString());
        Assert.All(items.Where(i => i!["virtualNodeName"]!.GetValue<string>() != "b"), i => Assert.Equal(1, i!["version"]!.GetValue<long>()));
    }

    [Fact]
    public void Renderings_AreBounded_AndKeyedByUidAndVersion()
    {
        var kept = new RenderedPerVersion(capacity: 100);
        var uid = Guid.NewGuid();
        kept.Keep(uid, 1, [1]);

        Assert.True(kept.TryGet(uid, 1, out var utf8));
        Assert.Equal([1], utf8);
        Assert.False(kept.TryGet(uid, 2, out _));
        Assert.False(kept.TryGet(Guid.NewGuid(), 1, out _));

        for (var i = 0; i < 105; i++)
        {
            kept.Keep(Guid.NewGuid(), 1, [2]);
        }

        Assert.InRange(kept.Count, 1, kept.Capacity);
    }

    private async Task<string> RawAsync(string path)
    {
        using var response = await api.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }
}
