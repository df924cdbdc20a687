using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// A create's or update's answer is rendered once from the spec it just serialized (not parsed back from the row),
/// and a clientToken's request is hashed without being copied: both must say exactly what the slower way said.
/// </summary>
public sealed class WrittenAnswerTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public void RequestHash_IsTheCanonicalHashOfTheRequestWithoutItsToken()
    {
        // Members out of order at every level, nested arrays and objects, numbers and a string needing escapes.
        var input = JsonNode.Parse("""
            {"virtualNodeName": "web", "meshName": "prod", "clientToken": "t-1",
             "spec": {"serviceDiscovery": {"dns": {"hostname": "web.local"}}, "listeners": [{"portMapping": {"protocol": "http", "port": 8080}}]},
             "tags": [{"value": "<b>é</b>", "key": "team"}]}
            """)!.AsObject();
        var request = (JsonObject)input.DeepClone();
        request.Remove("clientToken");
        var expected = CanonicalJson.Hash(new JsonObject { ["operation"] = "CreateVirtualNode", ["input"] = request });

        Assert.Equal(expected, CanonicalJson.HashRequest("CreateVirtualNode", input, left: "clientToken"));
        Assert.NotEqual(expected, CanonicalJson.HashRequest("UpdateVirtualNode", input, left: "clientToken"));
        Assert.True(input.ContainsKey("clientToken"), "Hashing must not change the request.");
    }

    [Fact]
    public async Task CreateAndUpdateAnswers_SayWhatDescribeSays_AndARetryGetsTheSameAnswer()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var create = new JsonObject
        {
            ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString(),
            ["tags"] = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "<payments & é>" }),
        };
        var created = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create)).AssertOk();
        var createdAgain = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create.DeepClone())).AssertOk();
        var describedAfterCreate = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();

        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var updated = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update)).AssertOk();
        var updatedAgain = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update.DeepClone())).AssertOk();
        var describedAfterUpdate = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();

        // Compared canonically: the stored spec comes back with jsonb's member order.
        AssertSame(describedAfterCreate.Body, created.Body);
        AssertSame(created.Body, createdAgain.Body);
        AssertSame(describedAfterUpdate.Body, updated.Body);
        AssertSame(updated.Body, updatedAgain.Body);
        Assert.Equal(9000, updated.Body!["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal(2, updated.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task AReplayedCreateOrUpdate_AnswersExactlyTheBytesOfTheFirstAnswer()
    {
        var mesh = await MeshBuilder.CreateAsync(api);

        // Tags whose text needs escapes, as in the test above.
        var create = new JsonObject
        {
            ["virtualNodeName"] = "web-bytes", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString(),
            ["tags"] = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "<payments & é>" }),
        };
        var (createdStatus, created) = await SendForBytesAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create);
        var (replayedStatus, replayed) = await SendForBytesAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create);
        Assert.Equal((200, 200), (createdStatus, replayedStatus));
        Assert.Equal(created, replayed);

        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var path = Paths.VirtualNode(mesh.Mesh, "web-bytes");
        var (updatedStatus, updated) = await SendForBytesAsync(HttpMethod.Put, path, update);
        var (updateReplayedStatus, updateReplayed) = await SendForBytesAsync(HttpMethod.Put, path, update);
        Assert.Equal((200, 200), (updatedStatus, updateReplayedStatus));
        Assert.Equal(updated, updateReplayed);
        Assert.Equal(2, JsonNode.Parse(updateReplayed)!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task AReplay_AfterItsResourceChanged_WasDeletedAndMadeAgain_AnswersTheFirstAnswersBytes()
    {
        // The record keeps the first call's uid, version and times, not its answer (migration IdempotencyRecordFacts): the
        // replay's answer is made again from them, never from the row as it is now.
        var mesh = await MeshBuilder.CreateAsync(api);
        var create = new JsonObject { ["virtualNodeName"] = "web-again", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var path = Paths.VirtualNode(mesh.Mesh, "web-again");
        var (_, created) = await SendForBytesAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create);
        var (_, updated) = await SendForBytesAsync(HttpMethod.Put, path, update);
        (await api.SendAsync(HttpMethod.Put, path, new JsonObject { ["spec"] = Specs.VirtualNode(9001) })).AssertOk();
        Assert.Equal((200, created), await SendForBytesAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create));
        Assert.Equal((200, updated), await SendForBytesAsync(HttpMethod.Put, path, update));

        (await api.SendAsync(HttpMethod.Delete, path)).AssertOk();
        var remade = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "web-again", ["spec"] = Specs.VirtualNode() })).AssertOk();
        Assert.NotEqual(JsonNode.Parse(created)!["metadata"]!["uid"]!.GetValue<string>(), remade.Body!["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal((200, created), await SendForBytesAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create));
        Assert.Equal((200, updated), await SendForBytesAsync(HttpMethod.Put, path, update));
        Assert.Equal(1, (await api.SendAsync(HttpMethod.Get, path)).AssertOk().Body!["metadata"]!["version"]!.GetValue<long>());
    }

    /// <summary>The answer's status and body text exactly as sent (the body is UTF-8 of escaped JSON).</summary>
    private async Task<(int Status, string Body)> SendForBytesAsync(HttpMethod method, string path, JsonNode body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await api.Client.SendAsync(request);
        return ((int)response.StatusCode, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
    }

    private static void AssertSame(JsonNode? expected, JsonNode? actual) =>
        Assert.True(CanonicalJson.Hash(expected!) == CanonicalJson.Hash(actual!), $"expected {expected?.ToJsonString()}, got {actual?.ToJsonString()}");
}
