using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests.Reliability;

/// <summary>
/// Many clients writing to one mesh at once, as terraform apply or a controller does: every acknowledged write
/// counts, every failure is a clean App Mesh error, and the mesh's rules (references, idempotency) hold.
/// </summary>
public sealed class WriteContentionTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task SixteenWritersOnOneNode_EveryUpdateCounts_AndNoneFails()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("hot");
        const int writers = 16, updatesEach = 25;

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var statuses = new List<ApiResponse>();
            for (var i = 0; i < updatesEach; i++)
            {
                statuses.Add(await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "hot"),
                    new JsonObject { ["spec"] = Specs.VirtualNode(10000 + (writer * updatesEach) + i) }));
            }

            return statuses;
        }));

        var all = results.SelectMany(r => r).ToList();
        Assert.All(all, r => r.AssertOk());
        var versions = all.Select(r => r.Body!["metadata"]!["version"]!.GetValue<long>()).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, writers * updatesEach).Select(v => (long)v), versions);
        var final = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "hot"))).AssertOk();
        Assert.Equal(1 + (writers * updatesEach), final.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task WritersCreatingUpdatingAndDeletingInOneMesh_AllSucceed()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        const int writers = 8, roundsEach = 10;
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var responses = new List<ApiResponse>();
            for (var round = 0; round < roundsEach; round++)
            {
                var name = $"w{writer}-r{round}";
                responses.Add(await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
                    new JsonObject { ["virtualNodeName"] = name, ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() }));
                responses.Add(await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, name),
                    new JsonObject { ["spec"] = Specs.VirtualNode(9000 + round) }));
                if (round % 2 == 1)
                {
                    responses.Add(await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, name)));
                }
            }

            return responses;
        }));

        Assert.All(results.SelectMany(r => r), r => r.AssertOk());
        var listed = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=100")).AssertOk();
        var names = listed.Body!["virtualNodes"]!.AsArray().Select(n => n!["virtualNodeName"]!.GetValue<string>()).ToHashSet();
        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, roundsEach).Where(r => r % 2 == 0).Select(r => $"w{w}-r{r}"));
        Assert.Equal(expected.ToHashSet(), names);
        Assert.All(listed.Body["virtualNodes"]!.AsArray(), n => Assert.Equal(2, n!["version"]!.GetValue<long>()));
    }

    [Fact]
    public async Task ConcurrentCreatesWithOneClientToken_AllReturnTheOneNode()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var request = new JsonObject { ["virtualNodeName"] = "once", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request.DeepClone())));

        Assert.All(attempts, a => a.AssertOk());
        Assert.Single(attempts.Select(a => a.Body!["metadata"]!["uid"]!.GetValue<string>()).Distinct());
        Assert.All(attempts, a => Assert.Equal(1, a.Body!["metadata"]!["version"]!.GetValue<long>()));
    }

    [Fact]
    public async Task ConcurrentMeshCreatesWithOneClientToken_AllReturnTheOneMesh()
    {
        var name = "token-race-" + Guid.NewGuid().ToString("N")[..8];
        var request = new JsonObject { ["meshName"] = name, ["clientToken"] = Guid.NewGuid().ToString() };
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.SendAsync(HttpMethod.Put, Paths.Meshes, request.DeepClone())));

        Assert.All(attempts, a => a.AssertOk());
        Assert.Single(attempts.Select(a => a.Body!["metadata"]!["uid"]!.GetValue<string>()).Distinct());
    }

    [Fact]
    public async Task ConcurrentUpdatesWithOneClientToken_ApplyOnce()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var request = new JsonObject { ["spec"] = Specs.VirtualNode(9100), ["clientToken"] = Guid.NewGuid().ToString() };
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), request.DeepClone())));

        Assert.All(attempts, a => a.AssertOk());
        Assert.All(attempts, a => Assert.Equal(2, a.Body!["metadata"]!["version"]!.GetValue<long>()));
        var final = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal(2, final.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ReferencesRacingDeletes_NeverLeaveADanglingReference()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        for (var round = 0; round < 15; round++)
        {
            var node = $"provider-{round}";
            await mesh.NodeAsync(node);
            var service = $"svc-{round}.local";
            var create = api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
                new JsonObject { ["virtualServiceName"] = service, ["spec"] = Specs.ServiceByNode(node) });
            var delete = api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, node));
            var (created, deleted) = (await create, await delete);

            // Exactly one of them wins, and the loser says why.
            if (created.Status == 200)
            {
                deleted.AssertError(409, "ResourceInUseException");
                (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, node))).AssertOk();
            }
            else
            {
                created.AssertError(404, "NotFoundException");
                deleted.AssertOk();
                (await api.SendAsync(HttpMethod.Get, Paths.VirtualService(mesh.Mesh, service))).AssertError(404, "NotFoundException");
            }
        }

        // And in the database: no stored reference names a resource that is gone.
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM resources r, unnest(r.refs) AS ref
            WHERE r.mesh_name = @mesh
              AND NOT EXISTS (SELECT 1 FROM resources t WHERE t.mesh_name = r.mesh_name AND t.kind || '/' || t.name = ref)
            """, connection);
        command.Parameters.AddWithValue("mesh", mesh.Mesh);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ConcurrentTagging_LosesNoTag()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var node = (await mesh.NodeAsync("tagged"))["metadata"]!["arn"]!.GetValue<string>();
        var tagged = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => api.SendAsync(HttpMethod.Put, Paths.Tag(node),
            new JsonObject { ["tags"] = new JsonArray(new JsonObject { ["key"] = $"k{i:00}", ["value"] = $"v{i}" }) })));
        Assert.All(tagged, t => t.AssertOk());

        var listed = (await api.SendAsync(HttpMethod.Get, Paths.Tags(node))).AssertOk();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"k{i:00}"), listed.Body!["tags"]!.AsArray().Select(t => t!["key"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(5000)]
    public async Task VirtualServiceNameLongerThanTheStore_IsBadRequestNamingIt(int length)
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new JsonObject { ["virtualServiceName"] = new string('s', length), ["spec"] = new JsonObject() });
        response.AssertError(400, "BadRequestException");
        Assert.Contains($"virtualServiceName: must be at most 255 characters, got {length}", response.Message);
    }
}
