using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>Uniqueness, idempotency and lost-update protection, enforced by the database.</summary>
public sealed class ConcurrencyTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task DuplicateName_IsConflict()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh.Mesh });
        response.AssertError(409, "ConflictException");
        Assert.Contains($"Mesh '{mesh.Mesh}' already exists", response.Message);
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneName_ExactlyOneWins()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "race", ["spec"] = Specs.VirtualNode() })));
        Assert.Equal(1, attempts.Count(a => a.Status == 200));
        Assert.All(attempts.Where(a => a.Status != 200), a => a.AssertError(409, "ConflictException"));
    }

    [Fact]
    public async Task SameClientToken_SameRequest_ReturnsOriginalWithoutNewVersion()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var token = Guid.NewGuid().ToString();
        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = token };
        var first = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update)).AssertOk();
        var retry = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update.DeepClone())).AssertOk();
        Assert.Equal(2, first.Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(first.Body, retry.Body), "The retry must return the original response.");
        var current = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal(2, current.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task SameClientToken_RetriedCreate_ReturnsOriginal()
    {
        var token = Guid.NewGuid().ToString();
        var request = new JsonObject { ["meshName"] = "idempotent-create", ["clientToken"] = token };
        var first = (await api.SendAsync(HttpMethod.Put, Paths.Meshes, request)).AssertOk();
        var retry = (await api.SendAsync(HttpMethod.Put, Paths.Meshes, request.DeepClone())).AssertOk();
        Assert.Equal(first.Body!["metadata"]!["uid"]!.GetValue<string>(), retry.Body!["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task SameClientToken_DifferentRequest_IsConflict()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var token = Guid.NewGuid().ToString();
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = token })).AssertOk();
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), new JsonObject { ["spec"] = Specs.VirtualNode(9001), ["clientToken"] = token });
        response.AssertError(409, "ConflictException");
        Assert.Contains($"clientToken '{token}' was already used", response.Message);
    }

    [Fact]
    public async Task ConcurrentUpdates_NeverLoseAWrite()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        const int writers = 12;
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"),
            new JsonObject { ["spec"] = Specs.VirtualNode(10000 + i) })));
        Assert.All(results, r => r.AssertOk());

        // Every update got its own version, and the final version counts every one of them.
        var versions = results.Select(r => r.Body!["metadata"]!["version"]!.GetValue<long>()).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, writers).Select(v => (long)v), versions);
        var final = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal(1 + writers, final.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ConcurrentUpdates_WithTokens_EachReplayAnswersItsOwnVersion()
    {
        // An update reads its row unlocked and claims its token with that row's values (migration UpdateWithoutRowLock);
        // one that loses the race to a concurrent update locks the row and corrects its record. A replay of each must
        // answer the version that update wrote, not the one it first read.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        const int writers = 12;
        var requests = Enumerable.Range(0, writers)
            .Select(i => new JsonObject { ["spec"] = Specs.VirtualNode(10000 + i), ["clientToken"] = Guid.NewGuid().ToString() }).ToArray();
        var results = await Task.WhenAll(requests.Select(r => api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), r.DeepClone())));
        Assert.All(results, r => r.AssertOk());
        var versions = results.Select(r => r.Body!["metadata"]!["version"]!.GetValue<long>()).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, writers).Select(v => (long)v), versions);

        for (var i = 0; i < writers; i++)
        {
            var replayed = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), requests[i].DeepClone())).AssertOk();
            Assert.True(JsonNode.DeepEquals(results[i].Body, replayed.Body), $"first {results[i].Body?.ToJsonString()}, replayed {replayed.Body?.ToJsonString()}");
        }
    }

    [Fact]
    public async Task EveryWrite_AppendsOneChangeRecord()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), new JsonObject { ["spec"] = Specs.VirtualNode(9000) })).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), new JsonObject { ["spec"] = Specs.VirtualNode(9000) }))
            .AssertError(404, "NotFoundException");

        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT kind, name, version, operation FROM changes WHERE mesh_name = @mesh ORDER BY seq", connection);
        command.Parameters.AddWithValue("mesh", mesh.Mesh);
        var rows = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add($"{reader.GetString(0)}:{reader.GetString(1)}:{reader.GetInt64(2)}:{reader.GetString(3)}");
            }
        }

        Assert.Equal(
            [$"mesh:{mesh.Mesh}:1:create", "virtualNode:web:1:create", "virtualNode:web:2:update", "virtualNode:web:2:delete"],
            rows);
    }
}
