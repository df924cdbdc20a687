using Mesh.Persistence;

namespace Mesh.Persistence.Tests;

/// <summary>
/// <see cref="ChangeLogPosition"/>: the numbers a follower that reads the change log often has read, the holes below
/// the highest (a number whose transaction has not committed yet), and the rules that give a hole up: the time-out,
/// and no transaction left that could fill it.
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

    // The xDS feed's cases (its SequenceTracker's, before the feed moved onto this type), by the watermark it reports.

    [Fact]
    public void ContiguousNumbers_MoveTheWatermark()
    {
        var position = Started(0);

        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(1));
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(2));

        Assert.Equal(2, position.Watermark);
        Assert.Equal(ChangeLogPosition.ReadResult.Seen, position.Read(2));
    }

    [Fact]
    public void ANumberThatCommitsLate_IsStillNew_AndHoldsTheWatermarkUntilThen()
    {
        var position = Started(0);

        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(2)); // 1 is still in flight
        Assert.Equal(0, position.Watermark);
        Assert.Single(position.Holes);

        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(1));
        Assert.Equal(2, position.Watermark);
        Assert.Empty(position.Holes);
    }

    [Fact]
    public void AHoleGivenUpAfterTheTimeOut_MovesTheWatermarkPastIt()
    {
        var position = Started(0);
        position.Read(2);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, position.EndRead(writers: null).Count);
        clock.Advance(TimeSpan.FromSeconds(1));

        var givenUp = position.EndRead(writers: null);
        Assert.Equal(new long[] { 1 }, givenUp.TimedOut);
        Assert.Empty(givenUp.Ended);
        Assert.Equal(2, position.Watermark);
    }

    [Fact]
    public void AtStart_NumbersMissingBelowTheMaximum_AreHoles()
    {
        // The feed's start: the log's maximum 10, a window of 4, and 7, 8 and 10 visible.
        var position = Started(10 - 4);
        foreach (var seq in new long[] { 7, 8, 10 })
        {
            Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(seq));
        }

        Assert.Equal(8, position.Watermark);
        Assert.Equal(new long[] { 9 }, position.Holes); // 9 may belong to a transaction still in flight
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(9));
        Assert.Equal(10, position.Watermark);
    }

    // Holes given up exactly: when no transaction that could have taken the number is still writing to the log.

    [Fact]
    public void AHoleNoWriterCanFillAnyMore_IsGivenUpAtTheNextRead_LongBeforeTheTimeOut()
    {
        var position = Started(0);
        position.Read(2);

        // The read that saw the hole: two transactions hold the log's insert lock, one of which took 1.
        Assert.Equal(0, position.EndRead(Writers("3/10", "4/7")).Count);
        Assert.Equal(0, position.EndRead(Writers("3/10", "5/2")).Count); // 4/7 ended; 3/10 may still commit 1
        Assert.Equal(0, position.EndRead(Writers("5/2")).Count); // 3/10 ended too: none left, noted, not given up yet

        var givenUp = position.EndRead(Writers("5/2"));
        Assert.Equal(new long[] { 1 }, givenUp.Ended);
        Assert.Empty(givenUp.TimedOut);
        Assert.Empty(position.Holes);
        Assert.Equal(2, position.Watermark);
    }

    [Fact]
    public void AHoleWhoseWriterCommittedJustBeforeTheListWasRead_IsReadAtTheNextRead_NotGivenUp()
    {
        var position = Started(0);
        position.Read(2);
        Assert.Equal(0, position.EndRead(Writers()).Count); // its writer ended after the read's snapshot, before the list

        // The next read starts after the list was read, so it sees the row.
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(1));
        Assert.Equal(0, position.EndRead(Writers()).Count);
        Assert.Equal(2, position.Watermark);
    }

    [Fact]
    public void AHoleSeenAfterTheLastList_WaitsForAListOfItsOwn()
    {
        var position = Started(0);
        position.Read(2);
        position.EndRead(Writers()); // hole 1: no writer left
        position.Read(5); // holes 3 and 4, seen after that list

        var givenUp = position.EndRead(writers: null); // no list at this read
        Assert.Equal(new long[] { 1 }, givenUp.Ended);
        Assert.Equal(0, position.EndRead(Writers("6/1")).Count);
        Assert.Equal(new long[] { 3, 4 }, position.Holes.Order());

        Assert.Equal(0, position.EndRead(Writers()).Count);
        Assert.Equal(new long[] { 3, 4 }, position.EndRead(Writers()).Ended);
    }

    // Reads whose statements overlap (the API's pipelined barriers): tickets say which was sent after which list.

    [Fact]
    public void WithOverlappingReads_AHoleIsGivenUpOnlyByAReadSentAfterTheListThatFoundNoWriter()
    {
        var position = Started(0);
        var first = position.NextTicket();
        position.Read(2); // the first read sees hole 1
        var second = position.NextTicket(); // the second read is sent now, before the first one's list is read
        Assert.Equal(0, position.EndRead(Writers(), first, writersRead: position.NextTicket()).Count); // no writer left

        // The second read's snapshot may predate the writer's commit: its not returning 1 proves nothing.
        var givenUp = position.EndRead(writers: null, second, writersRead: 0);
        Assert.Equal(0, givenUp.Count);
        Assert.Equal(new long[] { 1 }, position.Holes);

        // A read sent after the list was read does prove it.
        var third = position.NextTicket();
        Assert.Equal(new long[] { 1 }, position.EndRead(writers: null, third, writersRead: 0).Ended);
        Assert.Empty(position.Holes);
    }

    [Fact]
    public void WithOverlappingReads_AHoleStillFilledByAReadSentBeforeTheList_IsReadNotGivenUp()
    {
        var position = Started(0);
        var first = position.NextTicket();
        position.Read(2);
        var second = position.NextTicket();
        position.EndRead(Writers(), first, writersRead: position.NextTicket());

        // The second read's snapshot came after the writer's commit after all: the row is read.
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(1));
        Assert.Equal(0, position.EndRead(writers: null, second, writersRead: 0).Count);
        Assert.Empty(position.Holes);
    }

    [Fact]
    public void WithOverlappingReads_TheFirstListThatFoundNoWriter_IsTheOneThatCounts()
    {
        var position = Started(0);
        position.Read(2);
        position.EndRead(Writers(), position.NextTicket(), writersRead: position.NextTicket()); // no writer left: ticket 2
        var sentBetween = position.NextTicket(); // 3
        position.EndRead(Writers(), long.MinValue, writersRead: position.NextTicket()); // another empty list (4) does not move it on

        Assert.Equal(new long[] { 1 }, position.EndRead(writers: null, sentBetween, writersRead: 0).Ended);
    }

    [Fact]
    public void AWriterThatStaysPastTheTimeOut_LosesItsHoleToTheTimeOut()
    {
        var position = Started(0);
        position.Read(2);
        position.EndRead(Writers("3/10"));
        clock.Advance(TimeSpan.FromSeconds(30));

        var givenUp = position.EndRead(Writers("3/10"));

        Assert.Equal(new long[] { 1 }, givenUp.TimedOut);
        Assert.Empty(givenUp.Ended);
    }

    [Fact]
    public void WithoutAListOfWriters_OnlyTheTimeOutGivesAHoleUp()
    {
        var position = Started(0);
        position.Read(2);

        Assert.Equal(0, position.EndRead(writers: null).Count);
        Assert.Equal(0, position.GiveUpOldHoles());
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, position.GiveUpOldHoles());
    }

    [Fact]
    public void PruningOnlyNumbersAlreadyRead_IsNothingMissed()
    {
        var position = Started(0);
        position.Read(1);
        position.Read(2);
        position.Read(4);

        Assert.False(position.ForgetPruned(2));
        Assert.False(position.ForgetPruned(0));
        Assert.Equal(new long[] { 3 }, position.Holes);
        Assert.Equal(4, position.Top);
    }

    [Fact]
    public void PruningAHole_IsAChangeMissed_AndTheHoleIsNoLongerWaitedFor()
    {
        var position = Started(0);
        position.Read(1);
        position.Read(3);
        position.Read(6);

        Assert.True(position.ForgetPruned(4)); // 2 and 4 were holes: their rows, if committed, are gone unread
        Assert.Equal(new long[] { 5 }, position.Holes);
        Assert.Equal(6, position.Top);
        Assert.Equal(4, position.Watermark);
        Assert.False(position.ForgetPruned(4));
    }

    [Fact]
    public void PruningNumbersAboveTheTop_IsAChangeMissed_AndTheTopMovesPastThem()
    {
        var position = Started(10);

        Assert.True(position.ForgetPruned(15));
        Assert.Equal(15, position.Top);
        Assert.Empty(position.Holes);
        Assert.Equal(ChangeLogPosition.ReadResult.New, position.Read(16));
        Assert.Empty(position.Holes);
    }

    private static HashSet<string> Writers(params string[] ids) => [.. ids];

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
