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
            Assert.False(policy.Sample(S(t), allocated, (200 + (12 * t)) * MiB), $"trimmed while busy at {t} s");
        }

        // Quiet from 5 s (a trickle below 1 MiB/s): not before 15 s, then once, then not again however long it stays quiet.
        var trims = new List<int>();
        var resident = 260 * MiB;
        for (var t = 6; t <= 60; t++)
        {
            allocated += 100_000;
            if (policy.Sample(S(t), allocated, resident))
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
            Assert.False(policy.Sample(S(t), allocated, (200 + t) * MiB), $"trimmed at {t} s while allocating 2 MiB/s");
        }
    }

    [Fact]
    public void Only_A_Server_Grown_By_The_Grown_Bytes_Since_The_Last_Trim_Is_Trimmed()
    {
        var policy = new MemoryTrimPolicy(Quiet, S(0), 0, 200 * MiB);

        // A burst that left the resident size 10 MiB higher: quiet, but not worth a full collection.
        Assert.False(policy.Sample(S(1), 64 * MiB, 210 * MiB));
        Assert.False(policy.Sample(S(30), 64 * MiB, 210 * MiB));

        // Another burst: now 20 MiB above the start; trimmed once the quiet time has passed since it ended.
        Assert.False(policy.Sample(S(31), 128 * MiB, 220 * MiB));
        Assert.False(policy.Sample(S(40), 128 * MiB, 220 * MiB));
        Assert.True(policy.Sample(S(41), 128 * MiB, 220 * MiB));
        policy.Trimmed(S(41), 205 * MiB);

        // Growth is counted from what the trim left, and from lower when the pools let memory go meanwhile.
        Assert.False(policy.Sample(S(60), 128 * MiB, 190 * MiB));
        Assert.False(policy.Sample(S(61), 192 * MiB, 215 * MiB));
        Assert.True(policy.Sample(S(71), 192 * MiB, 215 * MiB));
    }

    [Fact]
    public void A_Trim_Collects_Once_And_Counts_The_Trim_Its_Pause_And_What_It_Gave_Back()
    {
        using var metrics = new XdsMetrics();
        var resident = 500 * MiB;
        var collections = 0;
        var trim = new IdleMemoryTrim(Quiet, TimeProvider.System, metrics, NullLogger<IdleMemoryTrim>.Instance, () => 0, () => resident, () =>
        {
            collections++;
            resident -= 120 * MiB;
        });

        Assert.Equal(0, metrics.Get(IdleMemoryTrim.Trims));

        trim.Trim();
        trim.Trim();

        Assert.Equal(2, collections);
        Assert.Equal(2, metrics.Get(IdleMemoryTrim.Trims));
        Assert.Equal(240 * MiB, metrics.Get(IdleMemoryTrim.ReleasedBytes));
    }

    [Fact]
    public void A_Trim_That_Gave_Nothing_Back_Counts_Nothing_Released()
    {
        using var metrics = new XdsMetrics();
        var resident = 300 * MiB;
        var trim = new IdleMemoryTrim(Quiet, TimeProvider.System, metrics, NullLogger<IdleMemoryTrim>.Instance, () => 0, () => resident, () => resident += MiB);

        trim.Trim();

        Assert.Equal(1, metrics.Get(IdleMemoryTrim.Trims));
        Assert.Equal(0, metrics.Get(IdleMemoryTrim.ReleasedBytes));
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
