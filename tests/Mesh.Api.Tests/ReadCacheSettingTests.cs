using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Resources;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// Both values of <c>Mesh:ReadCache:Enabled</c>: by default (nothing configured) it is on, and a Describe passes a
/// read barrier and its answer is kept (<see cref="ReadCacheTests"/> says what that must keep true); set to false, a
/// Describe reads PostgreSQL as before the cache (no barrier, nothing kept) and sees every write.
/// </summary>
public sealed class ReadCacheSettingTests(ReadCacheSettingTests.Hosts hosts) : IClassFixture<ReadCacheSettingTests.Hosts>
{
    [Fact]
    public async Task Off_ADescribe_ReadsPostgres_KeepsNothing_AndSeesAWrite()
    {
        var api = hosts.Off;
        var (mesh, id) = await NodeAsync(api);

        Assert.Equal(1, Version(await DescribeAsync(api, mesh)));
        Assert.Equal(1, Version(await DescribeAsync(api, mesh)));
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh, "n"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        Assert.Equal(2, Version(await DescribeAsync(api, mesh)));

        Assert.Equal(0, Barrier(api).Count);
        Assert.Equal(0, Kept(api).Count);
        Assert.False(Kept(api).TryGet(ApiServer.AccountId, id, out _));
    }

    [Fact]
    public async Task ByDefault_ADescribe_PassesABarrier_AndItsAnswerIsKept_AndSeesAWrite()
    {
        var api = hosts.Default;
        var (mesh, id) = await NodeAsync(api);
        var barriers = Barrier(api).Count;

        var first = await DescribeAsync(api, mesh);
        var second = await DescribeAsync(api, mesh);

        Assert.True(Barrier(api).Count > barriers);
        Assert.True(Kept(api).TryGet(ApiServer.AccountId, id, out _));
        Assert.Equal(first.ToJsonString(), second.ToJsonString());
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh, "n"), new JsonObject { ["spec"] = Specs.VirtualNode(9090) })).AssertOk();
        Assert.Equal(2, Version(await DescribeAsync(api, mesh)));
    }

    private static ReadBarrier Barrier(ApiServer api) => api.Services.GetRequiredService<ReadBarrier>();

    private static KeptAnswers Kept(ApiServer api) => api.Services.GetRequiredService<KeptAnswers>();

    private static async Task<(string Mesh, ResourceId Id)> NodeAsync(ApiServer api)
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("n", Specs.VirtualNode(8080));
        return (mesh.Mesh, new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", "n"));
    }

    private static async Task<JsonNode> DescribeAsync(ApiServer api, string mesh) =>
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "n"))).AssertOk().Body!;

    private static long Version(JsonNode node) => node["metadata"]!["version"]!.GetValue<long>();

    /// <summary>One API host with nothing configured for the cache, one with it off.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        public ApiServer Default { get; } = new();

        public ApiServer Off { get; } = new UncachedApiServer();

        public async Task InitializeAsync()
        {
            await Default.InitializeAsync();
            await Off.InitializeAsync();
        }

        public async Task DisposeAsync()
        {
            await Off.DisposeAsync();
            await Default.DisposeAsync();
        }
    }
}
