using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// How many round trips to PostgreSQL each resource call takes, counted by Npgsql itself: every command or batch
/// it executes is one measurement of its db.client.operation.duration, attributed here to the API call (by its
/// request id) whose activity was current when it ran.
/// </summary>
public sealed class WriteRoundTripTests(WriteRoundTripTests.UnmultiplexedApi api, WriteRoundTripTests.UnmultiplexedCachedApi cached)
    : IClassFixture<WriteRoundTripTests.UnmultiplexedApi>, IClassFixture<WriteRoundTripTests.UnmultiplexedCachedApi>
{
    /// <summary>
    /// Reads not multiplexed: a multiplexed command is executed by Npgsql's own send loop, where its measurement has no
    /// API call's activity to be attributed to (the statements are the same either way; ReadDatabaseTests covers them).
    /// </summary>
    public sealed class UnmultiplexedApi : ApiServer
    {
        public UnmultiplexedApi() => Settings["Mesh:ReadMultiplexing"] = "false";
    }

    /// <summary>The same with <c>Mesh:ReadCache</c> on.</summary>
    public sealed class UnmultiplexedCachedApi : ApiServer
    {
        public UnmultiplexedCachedApi()
        {
            Settings["Mesh:ReadMultiplexing"] = "false";
            Settings["Mesh:ReadCache:Enabled"] = "true";
        }
    }

    [Fact]
    public async Task Create_Update_Delete_AndARetry_TakeOneRoundTripEach_AsDescribeDoes()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("backend");
        using var counter = new RoundTripCounter();

        var create = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() });
        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var updated = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update);
        var retried = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update.DeepClone());
        var described = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"));
        var describedAgain = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"));
        var deleted = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"));

        Assert.Equal(1, counter.Of(create.AssertOk()));
        Assert.Equal(1, counter.Of(updated.AssertOk()));
        Assert.Equal(1, counter.Of(retried.AssertOk()));
        // A Describe of a version whose answer is not kept yet reads its uid and version, then the whole row
        // (DataRow.DescribeAsync); the next Describe of that version is the first statement alone.
        Assert.Equal(2, counter.Of(described.AssertOk()));
        Assert.Equal(1, counter.Of(describedAgain.AssertOk()));
        Assert.Equal(described.Body!.ToJsonString(), describedAgain.Body!.ToJsonString());
        Assert.Equal(1, counter.Of(deleted.AssertOk()));
        Assert.Equal(2, described.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ARouteWithItsRouterAndTargets_StillTakesOneRoundTrip()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("a");
        await mesh.NodeAsync("b");
        await mesh.RouterAsync("router");
        using var counter = new RoundTripCounter();

        var route = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "split", ["spec"] = Specs.HttpRoute(("a", 1), ("b", 1)), ["clientToken"] = Guid.NewGuid().ToString() });

        Assert.Equal(1, counter.Of(route.AssertOk()));
    }

    [Fact]
    public async Task WithTheReadCache_AKeptAnswer_TakesItsBarriersRoundTripAlone_AMissOneMore_AndAWriteStillOne()
    {
        var mesh = await MeshBuilder.CreateAsync(cached);
        await mesh.NodeAsync("web");
        (await cached.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        using var counter = new RoundTripCounter();
        var barrier = cached.Services.GetRequiredService<ReadBarrier>();
        var barriers = barrier.Count;

        // Kept by the Describe before: the barrier's one statement, then the answer from memory.
        var kept = await cached.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"));
        Assert.Equal(barriers + 1, barrier.Count);
        var updated = await cached.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"),
            new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() });
        // The update's change row dropped the kept answer: the barrier, then the whole row read again at once (its new
        // version was never rendered here, so reading the version first would be a round trip more).
        var afterUpdate = await cached.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"));
        var keptAgain = await cached.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"));

        Assert.Equal(1, counter.Of(kept.AssertOk()));
        Assert.Equal(1, counter.Of(updated.AssertOk()));
        Assert.Equal(2, counter.Of(afterUpdate.AssertOk()));
        Assert.Equal(1, counter.Of(keptAgain.AssertOk()));
        Assert.Equal(barriers + 3, barrier.Count);
        Assert.Equal(2, afterUpdate.Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(afterUpdate.Body!.ToJsonString(), keptAgain.Body!.ToJsonString());
    }

    /// <summary>Counts Npgsql's executed commands and batches per API request id, while it lives.</summary>
    private sealed class RoundTripCounter : IDisposable
    {
        private readonly ConcurrentDictionary<string, int> byRequest = new();
        private readonly ActivityListener activities;
        private readonly MeterListener meters;

        public RoundTripCounter()
        {
            // The API starts an activity per call only when something listens to its source.
            activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == ApiMetrics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            };
            ActivitySource.AddActivityListener(activities);

            meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration")
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            meters.SetMeasurementEventCallback<double>((_, _, _, _) =>
            {
                for (var activity = Activity.Current; activity is not null; activity = activity.Parent)
                {
                    if (activity.Source.Name == ApiMetrics.ActivitySourceName && activity.GetTagItem("aws.request_id") is string requestId)
                    {
                        byRequest.AddOrUpdate(requestId, 1, (_, n) => n + 1);
                        return;
                    }
                }
            });
            meters.Start();
        }

        public int Of(ApiResponse response) => byRequest.GetValueOrDefault(response.RequestId!);

        public void Dispose()
        {
            meters.Dispose();
            activities.Dispose();
        }
    }
}
