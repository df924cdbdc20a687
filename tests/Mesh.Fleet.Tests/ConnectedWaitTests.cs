using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The storm's wait for every proxy must not make the measured server collect its metrics 3 times a second, as a
/// 5 ms poll of /metrics did: /metrics is read only once the open streams are enough, and then at most once per the
/// exporter's cache time. The clock is the test's own, moved by each wait between polls, so nothing here is timed.
/// </summary>
public sealed class ConnectedWaitTests
{
    [Fact]
    public async Task Metrics_are_not_read_until_the_open_streams_are_enough()
    {
        var clock = new StepClock();
        var streamReads = 0;
        var metricsReadsBeforeEnough = 0;
        var wait = new ConnectedWait(
            () => Task.FromResult(++streamReads < 50 ? 99 : 100),
            () =>
            {
                if (streamReads < 50)
                {
                    metricsReadsBeforeEnough++;
                }

                return Task.FromResult(100.0);
            },
            clock,
            clock.Advance);

        await wait.WaitAsync(100, TimeSpan.FromMinutes(1), "the test's proxies");

        Assert.Equal(0, metricsReadsBeforeEnough);
        Assert.Equal(50, wait.StreamReads);
        Assert.Equal(1, wait.MetricsReads);
    }

    [Fact]
    public async Task Metrics_are_read_at_most_once_per_cache_time_while_the_proxies_are_not_all_identified()
    {
        var clock = new StepClock();
        var readAt = new List<TimeSpan>();
        var wait = new ConnectedWait(
            () => Task.FromResult(100),
            () =>
            {
                readAt.Add(clock.Now);
                return Task.FromResult(readAt.Count < 4 ? 97.0 : 100.0);
            },
            clock,
            clock.Advance);

        await wait.WaitAsync(100, TimeSpan.FromMinutes(1), "the test's proxies");

        Assert.Equal(4, readAt.Count);
        Assert.All(readAt.Zip(readAt.Skip(1)), pair => Assert.True(pair.Second - pair.First >= ConnectedWait.MetricsCache, $"/metrics read {pair.Second - pair.First} after the last read"));
        Assert.True(wait.StreamReads > wait.MetricsReads, $"{wait.StreamReads} stream reads, {wait.MetricsReads} metrics reads");
    }

    [Fact]
    public async Task A_count_never_reached_times_out_naming_what_it_waited_for()
    {
        var clock = new StepClock();
        var wait = new ConnectedWait(() => Task.FromResult(10), () => Task.FromResult(10.0), clock, clock.Advance);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => wait.WaitAsync(100, TimeSpan.FromSeconds(5), "every proxy to reconnect"));

        Assert.Contains("every proxy to reconnect", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, wait.MetricsReads);
    }

    /// <summary>A clock that moves only when the wait waits.</summary>
    private sealed class StepClock : TimeProvider
    {
        private long _ticks;

        public TimeSpan Now => TimeSpan.FromTicks(_ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public Task Advance(TimeSpan by)
        {
            _ticks += by.Ticks;
            return Task.CompletedTask;
        }
    }
}
