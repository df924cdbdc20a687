using Mesh.Persistence;

namespace Mesh.Persistence.Tests;

/// <summary>
/// <see cref="ChangeLogPosition"/>: the numbers a follower that reads the change log often has read, the holes below
/// the highest (a number whose transaction has not committed yet), and the rule that gives a hole up.
/// </summary>
public sealed class ChangeLogPositionTests
{
    private readonly SteppedClock clock = new();

    [Fact]
    public void ANumberAboveTheTop_IsNew_AndTheNumbersItSkipsAreHoles()
    {
        var position = Started(10);

        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(11));
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(14));

        Assert.Equal(14, position.Top);
        Assert.Equal(new long[] { 12, 13 }, position.Holes.Order());
    }

    [Fact]
    public void AHoleFilledLater_IsNewOnce_AndANumberReadBefore_IsSeen()
    {
        var position = Started(10);
        position.Read(13);

        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(12));
        Assert.Equal(ChangeLogPosition.ReadResult.Seen, position.Read(12));
        Assert.Equal(ChangeLogPosition.ReadResult.Seen, position.Read(13));
        Assert.Equal(ChangeLogPosition.ReadResult.Seen, position.Read(9)); // at or below the start's floor
        Assert.Equal(new long[] { 11 }, position.Holes);
    }

    [Fact]
    public void AHole_IsGivenUpOnlyAfterTheTimeOut()
    {
        var position = Started(0);
        position.Read(2);
        clock.Advance(TimeSpan.FromSeconds(29));
        position.Read(4);

        Assert.Equal(0, position.GiveUpOldHoles());
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, position.GiveUpOldHoles()); // 1, first seen 30 s ago; 3 is younger
        Assert.Equal(new long[] { 3 }, position.Holes);
        Assert.Equal(ChangeLogPosition.ReadResult.Seen, position.Read(1));
    }

    [Fact]
    public void AJumpPastTheTrackedHoles_SaysSo()
    {
        var position = Started(0);

        Assert.Equal(ChangeLogPosition.ReadResult.NewAfterUntrackedJump, position.Read(ChangeLogPosition.MaxHolesPerJump + 2));

        Assert.Empty(position.Holes);
        Assert.Equal(ChangeLogPosition.MaxHolesPerJump + 2, position.Top);
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(ChangeLogPosition.MaxHolesPerJump + 3));
    }

    [Fact]
    public void TheStartsFloor_IsNeverBelowZero()
    {
        var position = new ChangeLogPosition(TimeSpan.FromSeconds(30), clock);
        Assert.False(position.Started);

        position.Start(-256);

        Assert.True(position.Started);
        Assert.Equal(0, position.Top);
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(1));
    }

    private ChangeLogPosition Started(long floor)
    {
        var position = new ChangeLogPosition(TimeSpan.FromSeconds(30), clock);
        position.Start(floor);
        return position;
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
