using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Feed;

public sealed class SequenceTrackerTests
{
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Contiguous_Changes_Move_The_Watermark()
    {
        var tracker = new SequenceTracker(TimeSpan.FromSeconds(30), _clock);
        tracker.Start(0, [], 100);

        Assert.True(tracker.TryApply(1));
        Assert.True(tracker.TryApply(2));
        tracker.Advance();

        Assert.Equal(2, tracker.Watermark);
        Assert.False(tracker.TryApply(2));
    }

    [Fact]
    public void A_Number_That_Commits_Late_Is_Still_Applied()
    {
        var tracker = new SequenceTracker(TimeSpan.FromSeconds(30), _clock);
        tracker.Start(0, [], 100);

        Assert.True(tracker.TryApply(2)); // 1 is still in flight
        tracker.Advance();
        Assert.Equal(0, tracker.Watermark);
        Assert.Equal(1, tracker.Holes);

        Assert.True(tracker.TryApply(1));
        tracker.Advance();
        Assert.Equal(2, tracker.Watermark);
        Assert.Equal(0, tracker.Holes);
    }

    [Fact]
    public void A_Hole_Is_Given_Up_Only_After_The_Gap_Timeout()
    {
        var tracker = new SequenceTracker(TimeSpan.FromSeconds(30), _clock);
        tracker.Start(0, [], 100);
        tracker.TryApply(2);

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(tracker.Advance());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1L], tracker.Advance());
        Assert.Equal(2, tracker.Watermark);
    }

    [Fact]
    public void At_Start_Numbers_Missing_Below_The_Maximum_Are_Watched_As_Holes()
    {
        var tracker = new SequenceTracker(TimeSpan.FromSeconds(30), _clock);
        tracker.Start(10, [7, 8, 10], window: 4);

        Assert.Equal(8, tracker.Watermark);
        Assert.Equal(1, tracker.Holes); // 9 may belong to a transaction still in flight
        Assert.True(tracker.TryApply(9));
        tracker.Advance();
        Assert.Equal(10, tracker.Watermark);
    }
}
