using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>Quotas come from configuration; this class runs an API with small ones.</summary>
public sealed class QuotaTests : IClassFixture<QuotaTests.SmallQuotaApi>
{
    private readonly ApiServer api;

    public QuotaTests(SmallQuotaApi api) => this.api = api;

    [Fact]
    public async Task NodesPerMesh_IsLimitExceeded()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("one");
        await mesh.NodeAsync("two");
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "three", ["spec"] = Specs.VirtualNode() });
        response.AssertError(400, "LimitExceededException");
        Assert.Contains($"The quota of 2 virtual nodes in mesh '{mesh.Mesh}' is reached", response.Message);
    }

    [Fact]
    public async Task NodesPerMesh_HoldsExactly_WhenCreatesRace()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = $"racer-{i}", ["spec"] = Specs.VirtualNode() })));

        Assert.Equal(2, attempts.Count(a => a.Status == 200));
        Assert.All(attempts.Where(a => a.Status != 200), a => a.AssertError(400, "LimitExceededException"));
        var listed = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh))).AssertOk();
        Assert.Equal(2, listed.Body!["virtualNodes"]!.AsArray().Count);

        // A delete frees its place in the quota, and only one place.
        var survivor = listed.Body["virtualNodes"]![0]!["virtualNodeName"]!.GetValue<string>();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, survivor))).AssertOk();
        var refill = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = $"refill-{i}", ["spec"] = Specs.VirtualNode() })));
        Assert.Equal(1, refill.Count(a => a.Status == 200));
    }

    [Fact]
    public async Task AQuotaAboveTheShardCount_HoldsExactly_WhenManyCreatesRace()
    {
        // 40 routers: the first creates take the fast path (one shard each), the last ones the exact count.
        var mesh = await MeshBuilder.CreateAsync(api);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => api.SendAsync(HttpMethod.Put, Paths.VirtualRouters(mesh.Mesh),
            new JsonObject { ["virtualRouterName"] = $"router-{i}", ["spec"] = Specs.RouterSpec(8080) })));

        Assert.Equal(40, attempts.Count(a => a.Status == 200));
        Assert.All(attempts.Where(a => a.Status != 200), a => a.AssertError(400, "LimitExceededException"));
        var listed = (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouters(mesh.Mesh) + "?limit=100")).AssertOk();
        Assert.Equal(40, listed.Body!["virtualRouters"]!.AsArray().Count);
    }

    [Fact]
    public async Task BackendsPerNode_IsLimitExceeded()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "n", ["spec"] = Specs.VirtualNode(8080, "a.local", "b.local", "c.local", "d.local") });
        response.AssertError(400, "LimitExceededException");
        Assert.Contains("spec.backends: a virtual node may have at most 3 backends, got 4", response.Message);
    }

    public sealed class SmallQuotaApi : IAsyncLifetime
    {
        private readonly ApiServer server = new();

        public SmallQuotaApi()
        {
            server.Settings["Mesh:Quotas:VirtualNodesPerMesh"] = "2";
            server.Settings["Mesh:Quotas:BackendsPerVirtualNode"] = "3";
            server.Settings["Mesh:Quotas:VirtualRoutersPerMesh"] = "40";
        }

        public static implicit operator ApiServer(SmallQuotaApi fixture) => fixture.server;

        public Task InitializeAsync() => server.InitializeAsync();

        public Task DisposeAsync() => server.DisposeAsync();
    }
}
