using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>What the change feed waits on between catch-ups: every reason set reaches it, none is lost between waits.</summary>
public sealed class FeedWakeupTests
{
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_Reason_Set_While_Nobody_Waits_Ends_The_Next_Wait_At_Once()
    {
        var wakeup = new FeedWakeup(TimeProvider.System);
        wakeup.Set(WakeReasons.Notified);
        wakeup.Set(WakeReasons.Watched);

        Assert.Equal(WakeReasons.Notified | WakeReasons.Watched, await wakeup.WaitAsync(Long, TaskTimeouts.Token()));
    }

    [Fact]
    public async Task A_Reason_Set_During_A_Wait_Ends_It_And_Is_Taken_Once()
    {
        var wakeup = new FeedWakeup(TimeProvider.System);
        var waiting = wakeup.WaitAsync(Long, TaskTimeouts.Token());
        Assert.False(waiting.IsCompleted);

        wakeup.Set(WakeReasons.Watched);

        Assert.Equal(WakeReasons.Watched, await waiting.WaitAsync(TaskTimeouts.Token()));
        Assert.Equal(WakeReasons.None, await wakeup.WaitAsync(TimeSpan.Zero, TaskTimeouts.Token()));
    }

    [Fact]
    public async Task A_Wait_With_Nothing_Set_Ends_At_Its_Time_Out_With_No_Reason()
    {
        var wakeup = new FeedWakeup(TimeProvider.System);

        Assert.Equal(WakeReasons.None, await wakeup.WaitAsync(TimeSpan.FromMilliseconds(20), TaskTimeouts.Token()));
    }

    [Fact]
    public async Task A_Cancelled_Wait_Throws()
    {
        var wakeup = new FeedWakeup(TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var waiting = wakeup.WaitAsync(Long, stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
