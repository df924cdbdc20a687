using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Testing;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// The bound on pushes being written (<see cref="PushGate"/>, <c>Xds:PushesInFlight</c>): a stream takes a slot to push
/// and gives it back when its write completes, without waiting for its proxy's answer; the others wait in order; a
/// write overtaken by a gate's worth of later ones gives its slot back as stalled, and one nothing overtakes after the
/// hold time (docs/benchmarks.md, issue13ak, issue13ao). Real proxies that never answer or stop reading:
/// <see cref="StuckProxyTests"/>.
/// </summary>
public sealed class PushGateTests
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Pushes_Beyond_The_Slots_Wait_And_Get_Them_In_The_Order_They_Asked()
    {
        var clock = new SteppedClock();
        using var gate = new PushGate(2, Hold, clock);
        var first = await gate.EnterAsync(CancellationToken.None);
        var second = await gate.EnterAsync(CancellationToken.None);
        Assert.Equal(2, gate.InFlight);

        var order = new List<int>();
        var waiting = Enumerable.Range(1, 3).Select(async n =>
        {
            var slot = await gate.EnterAsync(CancellationToken.None);
            lock (order)
            {
                order.Add(n);
            }

            return slot;
        }).ToList();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(3, gate.WaitedCount);

        Assert.True(first.TryRelease());
        Assert.False(first.TryRelease()); // given back once only
        var third = await waiting[0].DefaultTimeout();
        Assert.False(waiting[1].IsCompleted);
        // One release at a time, each waited for: two slots given back together hand over in order, but the
        // waiters' continuations then run on the pool in either order, and the list would record that race.
        second.TryRelease();
        var fourth = await waiting[1].DefaultTimeout();
        Assert.False(waiting[2].IsCompleted);
        third.TryRelease();
        await Task.WhenAll(waiting).DefaultTimeout();
        Assert.Same(fourth, await waiting[1]);

        Assert.Equal([1, 2, 3], order);
        Assert.Equal(2, gate.InFlight);
    }

    [Fact]
    public async Task A_Slot_Not_Given_Back_Within_The_Hold_Time_Is_Given_Back_By_The_Sweep_And_Counted()
    {
        var clock = new SteppedClock();
        using var gate = new PushGate(1, Hold, clock);
        var stuck = await gate.EnterAsync(CancellationToken.None);
        var next = gate.EnterAsync(CancellationToken.None).AsTask();

        clock.Advance(TimeSpan.FromMilliseconds(900));
        gate.Sweep();
        Assert.False(next.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(100));
        gate.Sweep();
        var slot = await next.DefaultTimeout();

        Assert.True(stuck.IsReleased);
        Assert.False(stuck.TryRelease()); // the stream's own late release does not free a second slot
        Assert.Equal(1, gate.ExpiredCount);
        Assert.Equal(1, gate.InFlight);
        slot.TryRelease();
        Assert.Equal(0, gate.InFlight);
    }

    [Fact]
    public async Task A_Write_Overtaken_By_As_Many_Later_Writes_As_There_Are_Slots_Is_Given_Back_As_Stalled()
    {
        var clock = new SteppedClock();
        using var gate = new PushGate(2, TimeSpan.FromHours(1), clock);
        var stuck = await gate.EnterAsync(CancellationToken.None);
        var first = await gate.EnterAsync(CancellationToken.None);
        var waiting = gate.EnterAsync(CancellationToken.None).AsTask();

        // One later write is not enough: the two writes may simply have run side by side.
        first.Written();
        var second = await waiting.DefaultTimeout();
        Assert.False(stuck.IsReleased);
        Assert.Equal(0, gate.StalledCount);

        // A gate's worth of later writes went by while this one waited: it is stuck, and its slot goes to the next.
        var third = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        second.Written();
        Assert.True(stuck.IsReleased);
        Assert.Equal(1, gate.StalledCount);
        (await third.DefaultTimeout()).Written();

        Assert.False(stuck.TryRelease()); // its write's late end frees nothing more
        Assert.Equal(0, gate.InFlight);
        Assert.Equal(0, gate.ExpiredCount);
    }

    [Fact]
    public async Task With_One_Slot_A_Change_Reaches_The_Second_Proxy_Once_The_First_Push_Is_Written_Without_Its_Answer()
    {
        var clock = new SteppedClock();
        using var gate = new PushGate(1, TimeSpan.FromHours(1), clock);
        var (context, producer, mesh) = Context(gate);

        using var stop = new CancellationTokenSource(TaskTimeouts.Default);

        // Both connect: each first response answers a request, and the stream then holds no slot.
        var streams = await DirectSotwStream.ConnectAsync(context, "web", 2, stop.Token);
        var (a, b) = (streams[0].Responses, streams[1].Responses);
        await Eventually.TrueAsync(() => gate.InFlight == 0);

        // A change while neither proxy reads: one stream's write takes the slot and waits; the other waits for the slot.
        a.Close();
        b.Close();
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);
        await Eventually.TrueAsync(() => a.Started + b.Started == 3 && gate.WaitedCount == 1);
        var (pushed, waiting) = a.Started == 2 ? (a, b) : (b, a);
        Assert.Equal(1, waiting.Started);

        // Its proxy reads the push and never answers: the written push gives the slot to the other stream.
        pushed.Open();
        var push = await pushed.NextAsync();
        Assert.NotEqual(streams[0].First.VersionInfo, push.VersionInfo);
        await Eventually.TrueAsync(() => waiting.Started == 2);
        waiting.Open();
        Assert.Equal(push.VersionInfo, (await waiting.NextAsync()).VersionInfo);
        await Eventually.TrueAsync(() => gate.InFlight == 0);
        Assert.Equal(0, gate.ExpiredCount);
        Assert.Equal(0, gate.StalledCount);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[0].Run.DefaultTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[1].Run.DefaultTimeout());
    }

    [Fact]
    public async Task A_Write_That_Never_Completes_And_That_Nothing_Overtakes_Holds_The_Others_Up_Only_For_The_Hold_Time()
    {
        var clock = new SteppedClock();
        using var gate = new PushGate(1, Hold, clock);
        var (context, producer, mesh) = Context(gate);

        using var stop = new CancellationTokenSource(TaskTimeouts.Default);
        var streams = await DirectSotwStream.ConnectAsync(context, "web", 2, stop.Token);
        var (a, b) = (streams[0].Responses, streams[1].Responses);
        await Eventually.TrueAsync(() => gate.InFlight == 0);

        // Neither reads; with one slot no later write can show that the first is stuck.
        a.Close();
        b.Close();
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);
        await Eventually.TrueAsync(() => a.Started + b.Started == 3 && gate.WaitedCount == 1);
        var (stuck, waiting) = a.Started == 2 ? (a, b) : (b, a);

        // After the hold time the sweep gives the slot to the other stream, whose proxy reads.
        clock.Advance(Hold);
        gate.Sweep();
        waiting.Open();
        var second = await waiting.NextAsync();
        Assert.Equal(1, gate.ExpiredCount);
        Assert.Equal(0, gate.StalledCount);

        // The stuck write goes on: once its proxy reads again it gets the same change.
        stuck.Open();
        Assert.Equal(second.VersionInfo, (await stuck.NextAsync()).VersionInfo);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[0].Run.DefaultTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[1].Run.DefaultTimeout());
    }

    [Theory]
    [InlineData(null, XdsOptions.DefaultPushesInFlight)]
    [InlineData("0", 0)]
    [InlineData("500", 500)]
    public async Task The_Gate_Is_On_By_Default_Off_At_Zero_And_Metrics_Show_It_When_On(string? slots, int expected)
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:PushesInFlight"] = slots });

        Assert.Equal(expected, host.Services.GetService<PushGate>()?.Slots ?? 0);
        Assert.Equal(expected > 0, host.Services.GetRequiredService<XdsSessionContext>().PushGate is not null);
        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        foreach (var name in new[] { "mesh_xds_push_slots_in_flight", PushGate.Waited, PushGate.Stalled, PushGate.Expired })
        {
            Assert.Equal(expected > 0, PrometheusText.Value(text, name) is not null);
        }

        // The counts since start are counters, as their _total says: a gauge of that name fails promtool's lint.
        foreach (var name in new[] { PushGate.Waited, PushGate.Stalled, PushGate.Expired })
        {
            Assert.Equal(expected > 0 ? "counter" : null, PrometheusText.TypeOf(text, name));
        }

        await Promtool.AssertValidAsync(text);
    }

    [Theory]
    [InlineData("Xds:PushesInFlight", "-1")]
    [InlineData("Xds:PushesInFlight", "many")]
    [InlineData("Xds:PushSlotHoldMilliseconds", "0")]
    public async Task A_Setting_That_Is_Not_A_Whole_Number_Stops_The_Start_With_Its_Name(string name, string value)
    {
        var refused = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:PushesInFlight"] = "100", [name] = value }));

        Assert.Contains($"{name} '{value}'", refused.Message);
    }

    private static (XdsSessionContext Context, SnapshotProducer Producer, MeshRows Mesh) Context(PushGate gate)
    {
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new Mesh.Translation.MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), new StreamRegistry(TimeProvider.System), metrics, NullLoggerFactory.Instance, pushGate: gate);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);
        return (context, producer, mesh);
    }

    /// <summary>A clock whose timestamps move only when told (timers are the system's; the tests sweep themselves).</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _now = 1_000_000;

        public override long GetTimestamp() => Interlocked.Read(ref _now);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalSeconds * TimestampFrequency));
    }
}
