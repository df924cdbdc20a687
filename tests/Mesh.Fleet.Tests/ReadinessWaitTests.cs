using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The fleet's wait for a server's readiness: a <c>/readyz</c> probe that times out (a server restarted under a storm
/// answers its admin port late) is "not ready yet", not the end of the run. The clock is the test's own, moved by each
/// pause between probes, and the probes' answers are given, so nothing here is timed.
/// </summary>
public sealed class ReadinessWaitTests
{
    [Fact]
    public async Task A_probe_that_times_out_is_not_ready_yet_and_the_wait_goes_on()
    {
        var clock = new StepClock();
        var answers = new Queue<Func<bool>>(
        [
            () => false, // 503: the first load has not finished
            () => throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 30 seconds elapsing.", new TimeoutException()),
            () => throw new HttpRequestException("Connection refused"),
            () => true,
        ]);
        var wait = new ReadinessWait(_ => Task.FromResult(answers.Dequeue()()), () => false, clock, clock.Advance);

        await wait.WaitAsync(TimeSpan.FromMinutes(2), "the test's server");

        Assert.Equal(4, wait.Probes);
        Assert.Equal(1, wait.TimedOut);
    }

    [Fact]
    public async Task Only_the_overall_bound_ends_a_wait_whose_probes_keep_timing_out()
    {
        var clock = new StepClock();
        var wait = new ReadinessWait(_ => throw new TaskCanceledException("timed out"), () => false, clock, clock.Advance);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10), "the test's server"));

        Assert.Equal(wait.Probes, wait.TimedOut);
        Assert.Equal((int)(TimeSpan.FromSeconds(10) / ReadinessWait.Poll), wait.Probes);
        Assert.Contains("not ready in", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_exited_ends_the_wait_at_once()
    {
        var clock = new StepClock();
        var probes = 0;
        var wait = new ReadinessWait(_ => Task.FromResult(++probes > 100), () => probes >= 3, clock, clock.Advance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => wait.WaitAsync(TimeSpan.FromMinutes(2), "xds-0-2.log"));

        Assert.Equal(3, probes);
        Assert.Contains("exited", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A clock that moves only when the wait pauses.</summary>
    private sealed class StepClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public Task Advance(TimeSpan by)
        {
            _ticks += by.Ticks;
            return Task.CompletedTask;
        }
    }
}
