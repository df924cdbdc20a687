using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Resources;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// Both values of <c>Mesh:ReadCache:Enabled</c>: by default (nothing configured) it is off, and a Describe reads
/// PostgreSQL as before the cache (no barrier, nothing kept) and sees every write; set to true, a Describe passes a
/// read barrier and its answer is kept (<see cref="ReadCacheTests"/> says what that must keep true).
/// </summary>
public sealed class ReadCacheSettingTests(ReadCacheSettingTests.Hosts hosts) : IClassFixture<ReadCacheSettingTests.Hosts>
{
    [Fact]
    public async Task ByDefault_ADescribe_ReadsPostgres_KeepsNothing_AndSeesAWrite()
    {
        var api = hosts.Default;
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
    public async Task On_ADescribe_PassesABarrier_AndItsAnswerIsKept()
    {
        var api = hosts.On;
        var (mesh, id) = await NodeAsync(api);
        var barriers = Barrier(api).Count;

        var first = await DescribeAsync(api, mesh);
        var second = await DescribeAsync(api, mesh);

        Assert.True(Barrier(api).Count > barriers);
        Assert.True(Kept(api).TryGet(ApiServer.AccountId, id, out _));
        Assert.Equal(first.ToJsonString(), second.ToJsonString());
    }

    [Fact]
    public async Task On_MetricsCountHowDescribesWereAnswered_AndTheBarriersStatements()
    {
        var api = hosts.On;
        var (mesh, _) = await NodeAsync(api);
        // This host's own instruments: the other hosts in this test process have meters of the same name.
        var factory = api.Services.GetRequiredService<IMeterFactory>();
        var counted = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name is "mesh.api.read_cache.describes" or "mesh.api.read_barrier.statements")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                counted.AddOrUpdate($"{instrument.Name} {tag.Key}={tag.Value}", value, (_, n) => n + value);
            }
        });
        listener.Start();

        await DescribeAsync(api, mesh);
        await DescribeAsync(api, mesh);
        await DescribeAsync(api, mesh);

        Assert.Equal(1, counted.GetValueOrDefault("mesh.api.read_cache.describes answer=read"));
        Assert.Equal(2, counted.GetValueOrDefault("mesh.api.read_cache.describes answer=kept"));
        Assert.Equal(0, counted.GetValueOrDefault("mesh.api.read_cache.describes answer=unkept"));
        Assert.Equal(0, counted.GetValueOrDefault("mesh.api.read_cache.describes answer=refused"));
        // One page of the log per barrier (nothing written meanwhile, so no missing number to ask who may fill it).
        Assert.Equal(3, counted.GetValueOrDefault("mesh.api.read_barrier.statements statement=page"));
        Assert.Equal(0, counted.GetValueOrDefault("mesh.api.read_barrier.statements statement=writers"));

        var metrics = await api.Client.GetStringAsync("/metrics");
        foreach (var series in new[] { "mesh_api_read_cache_describes_total{", "mesh_api_read_barrier_statements_total{" })
        {
            Assert.Contains(series, metrics, StringComparison.Ordinal);
        }
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

    /// <summary>One API host with nothing configured for the cache, one with it on.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        public ApiServer Default { get; } = new();

        public ApiServer On { get; } = new CachedApiServer();

        public async Task InitializeAsync()
        {
            await Default.InitializeAsync();
            await On.InitializeAsync();
        }

        public async Task DisposeAsync()
        {
            await On.DisposeAsync();
            await Default.DisposeAsync();
        }
    }
}
