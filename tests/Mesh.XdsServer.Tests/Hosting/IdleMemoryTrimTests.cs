using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Hosting.Memory;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The idle trim (<see cref="IdleMemoryTrim"/>, <see cref="MemoryTrimPolicy"/>): one aggressive collection after a
/// burst once the server is quiet, none while it is busy or has not grown, counted in /metrics, and its setting
/// (docs/benchmarks.md, issue13ai).
/// </summary>
public sealed class IdleMemoryTrimTests
{
    private const long MiB = 1 << 20;
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    // A heap with far more committed than live: enough to give back for any trim these tests expect.
    private const long Live = 100 * MiB;
    private const long Committed = 400 * MiB;

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_Burst_Is_Trimmed_Once_When_The_Server_Has_Been_Quiet_For_The_Quiet_Time()
    {
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB);
        var allocated = 0L;

        // A burst: 100 MiB allocated over 5 s, resident 200 → 260 MiB.
        for (var t = 1; t <= 5; t++)
        {
            allocated += 20 * MiB;
            Assert.NotEqual(TrimDecision.Trim, policy.Sample(S(t), allocated, (200 + (12 * t)) * MiB, Committed, Live));
        }

        // Quiet from 5 s (a trickle below 1 MiB/s): not before 15 s, then once, then not again however long it stays quiet.
        var trims = new List<int>();
        var resident = 260 * MiB;
        for (var t = 6; t <= 60; t++)
        {
            allocated += 100_000;
            if (policy.Sample(S(t), allocated, resident, Committed, Live) == TrimDecision.Trim)
            {
                trims.Add(t);
                resident = 210 * MiB;
                policy.Trimmed(S(t), resident);
            }
        }

        Assert.Equal([15], trims);
    }

    [Fact]
    public void A_Server_That_Never_Stops_Allocating_Is_Not_Trimmed()
    {
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB);
        var allocated = 0L;
        for (var t = 1; t <= 120; t++)
        {
            allocated += 2 * MiB;
            Assert.Equal(TrimDecision.Wait, policy.Sample(S(t), allocated, (200 + t) * MiB, Committed, Live));
        }
    }

    [Fact]
    public void A_Change_Still_Writing_Responses_Is_Not_Trimmed_However_Little_It_Allocates()
    {
        // A route change's tail: the pushes and ACKs allocate a trickle (below 1 MiB/s) while 500 responses a second
        // still go out. No trim while they do (issue13ar: one stopped every thread mid-change); the quiet time counts
        // from the last second with more than QuietResponsesPerSecond.
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB, 0);
        var allocated = 0L;
        var responses = 0L;
        var resident = 300 * MiB;
        var trims = new List<int>();
        for (var t = 1; t <= 60; t++)
        {
            allocated += 100_000;
            if (t <= 30)
            {
                responses += 500;
            }

            if (policy.Sample(S(t), allocated, resident, Committed, Live, responses) == TrimDecision.Trim)
            {
                trims.Add(t);
                resident = 210 * MiB;
                policy.Trimmed(S(t), resident);
            }
        }

        Assert.Equal([40], trims);
    }

    [Fact]
    public void A_Few_Responses_A_Second_Do_Not_Keep_A_Quiet_Server_From_Its_Trim()
    {
        // A proxy reconnecting now and then (its connect's responses) is not a change in flight.
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB, 0);
        var responses = 0L;
        var resident = 300 * MiB;
        var trims = new List<int>();
        for (var t = 1; t <= 30; t++)
        {
            responses += MemoryTrimPolicy.QuietResponsesPerSecond;
            if (policy.Sample(S(t), 0, resident, Committed, Live, responses) == TrimDecision.Trim)
            {
                trims.Add(t);
                resident = 210 * MiB;
                policy.Trimmed(S(t), resident);
            }
        }

        Assert.Equal([10], trims);
    }

    [Fact]
    public void The_Responses_The_Trim_Watches_Are_Every_Type_And_Variant_Sent()
    {
        using var metrics = new XdsMetrics();
        var before = metrics.ResponsesSent();
        metrics.ResponseSent("rds", "sotw");
        metrics.ResponseSent("rds", "sotw");
        metrics.ResponseSent("cds", "delta");
        metrics.Ack("rds");

        Assert.Equal(3, metrics.ResponsesSent() - before);
    }

    [Fact]
    public void Only_A_Server_Grown_By_The_Grown_Bytes_Since_The_Last_Trim_Is_Trimmed()
    {
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB);

        // A burst that left the resident size 10 MiB higher: quiet, but not worth a full collection.
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(1), 64 * MiB, 210 * MiB, Committed, Live));
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(30), 64 * MiB, 210 * MiB, Committed, Live));

        // Another burst: now 20 MiB above the start; trimmed once the quiet time has passed since it ended.
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(31), 128 * MiB, 220 * MiB, Committed, Live));
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(40), 128 * MiB, 220 * MiB, Committed, Live));
        Assert.Equal(TrimDecision.Trim, policy.Sample(S(41), 128 * MiB, 220 * MiB, Committed, Live));
        policy.Trimmed(S(41), 205 * MiB);

        // Growth is counted from what the trim left, and from lower when the pools let memory go meanwhile.
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(60), 128 * MiB, 190 * MiB, Committed, Live));
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(61), 192 * MiB, 215 * MiB, Committed, Live));
        Assert.Equal(TrimDecision.Trim, policy.Sample(S(71), 192 * MiB, 215 * MiB, Committed, Live));
    }

    [Fact]
    public void A_Trim_Collects_Once_And_Counts_The_Trim_Its_Pause_And_What_It_Gave_Back()
    {
        using var metrics = new XdsMetrics();
        var resident = 500 * MiB;
        var collections = 0;
        var trim = new IdleMemoryTrim(Quiet, TimeProvider.System, metrics, NullLogger<IdleMemoryTrim>.Instance, () => 0, () => resident, () => new GcHeap(Committed, Live), () =>
        {
            collections++;
            resident -= 120 * MiB;
        });

        Assert.Equal(0, metrics.Get(IdleMemoryTrim.Trims));

        trim.Trim(new GcHeap(Committed, Live));
        trim.Trim(new GcHeap(Committed, Live));

        Assert.Equal(2, collections);
        Assert.Equal(2, metrics.Get(IdleMemoryTrim.Trims));
        Assert.Equal(240 * MiB, metrics.Get(IdleMemoryTrim.ReleasedBytes));
    }

    [Fact]
    public void A_Trim_That_Gave_Nothing_Back_Counts_Nothing_Released()
    {
        using var metrics = new XdsMetrics();
        var resident = 300 * MiB;
        var trim = new IdleMemoryTrim(Quiet, TimeProvider.System, metrics, NullLogger<IdleMemoryTrim>.Instance, () => 0, () => resident, () => new GcHeap(Committed, Live), () => resident += MiB);

        trim.Trim(new GcHeap(Committed, Live));

        Assert.Equal(1, metrics.Get(IdleMemoryTrim.Trims));
        Assert.Equal(0, metrics.Get(IdleMemoryTrim.ReleasedBytes));
    }

    [Fact]
    public void A_Burst_Whose_Growth_The_GC_Cannot_Give_Back_Is_Skipped_Once_And_Needs_New_Growth()
    {
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 500 * MiB);

        // Grown by 40 MiB and quiet, but the GC holds only 20 MiB committed and not live beside 400 MiB live: under
        // an eighth of the live heap (50 MiB), so no trim, decided once.
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(1), 64 * MiB, 540 * MiB, 420 * MiB, 400 * MiB));
        Assert.Equal(TrimDecision.Skip, policy.Sample(S(11), 64 * MiB, 540 * MiB, 420 * MiB, 400 * MiB));
        for (var t = 12; t <= 40; t++)
        {
            Assert.Equal(TrimDecision.Wait, policy.Sample(S(t), 64 * MiB, 540 * MiB, 420 * MiB, 400 * MiB));
        }

        // A burst that leaves 16 MiB more resident and 60 MiB committed and not live: trimmed.
        Assert.Equal(TrimDecision.Wait, policy.Sample(S(41), 128 * MiB, 556 * MiB, 460 * MiB, 400 * MiB));
        Assert.Equal(TrimDecision.Trim, policy.Sample(S(51), 128 * MiB, 556 * MiB, 460 * MiB, 400 * MiB));
    }

    [Theory]
    [InlineData(10, 16)]
    [InlineData(128, 16)]
    [InlineData(400, 50)]
    [InlineData(2000, 250)]
    public void The_Floor_Is_16_MiB_Or_An_Eighth_Of_The_Live_Heap(long liveMiB, long floorMiB) =>
        Assert.Equal(floorMiB * MiB, MemoryTrimPolicy.Floor(liveMiB * MiB));

    [Fact]
    public void A_Skipped_Burst_Is_Counted()
    {
        using var metrics = new XdsMetrics();
        var trim = new IdleMemoryTrim(Quiet, TimeProvider.System, metrics, NullLogger<IdleMemoryTrim>.Instance, () => 0, () => 300 * MiB, () => new GcHeap(Committed, Live), () => throw new InvalidOperationException("no collection on a skip"));

        Assert.Equal(0, metrics.Get(IdleMemoryTrim.Skipped));
        trim.Skip(new GcHeap(110 * MiB, 100 * MiB));

        Assert.Equal(1, metrics.Get(IdleMemoryTrim.Skipped));
        Assert.Equal(0, metrics.Get(IdleMemoryTrim.Trims));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("30", true)]
    [InlineData("0", false)]
    public async Task The_Trim_Runs_Unless_Set_To_0_And_Metrics_Show_It(string? seconds, bool runs)
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:MemoryTrimQuietSeconds"] = seconds });

        Assert.Equal(runs, host.Services.GetServices<IHostedService>().OfType<IdleMemoryTrim>().Any());
        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        Assert.Equal(runs, PrometheusText.Value(text, IdleMemoryTrim.Trims) is not null);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("10s")]
    public async Task A_Quiet_Time_That_Is_Not_Seconds_Stops_The_Start_With_The_Setting_Named(string seconds)
    {
        var refused = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:MemoryTrimQuietSeconds"] = seconds }));

        Assert.Contains($"Xds:MemoryTrimQuietSeconds '{seconds}'", refused.Message);
    }
}
