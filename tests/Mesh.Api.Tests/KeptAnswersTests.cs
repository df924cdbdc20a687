using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// <see cref="KeptAnswers"/>: an answer read before a change was applied is not kept, a change drops its resource's
/// answer only, and the memory is bounded.
/// </summary>
public sealed class KeptAnswersTests
{
    private const string Account = "111122223333";
    private static readonly ResourceId Node = new(ResourceKind.VirtualNode, "m", "", "n");
    private static readonly ResourceId Route = new(ResourceKind.Route, "m", "r", "n");

    [Fact]
    public void AnAnswerReadBeforeAChangeToItsResourceWasApplied_IsNotKept()
    {
        var kept = new KeptAnswers(100);
        var epoch = kept.Epoch;

        kept.Drop(Account, "m", "virtualNode", "", "n"); // its resource changed meanwhile

        Assert.False(kept.Keep(Account, Node, [1], epoch));
        Assert.False(kept.TryGet(Account, Node, out _));
        Assert.True(kept.Keep(Account, Node, [2], kept.Epoch));
        Assert.True(kept.TryGet(Account, Node, out var answer));
        Assert.Equal(new byte[] { 2 }, answer);
    }

    [Fact]
    public void AnAnswerReadWhileOtherResourcesChanged_IsKept()
    {
        var kept = new KeptAnswers(100);
        var epoch = kept.Epoch;

        // Changes to other resources applied meanwhile (the odd one in the same stripe may refuse it: not these).
        var refused = 0;
        for (var i = 0; i < 20; i++)
        {
            kept.Drop(Account, "m", "virtualNode", "", $"other{i}");
            kept.Keep(Account, Node, [1], epoch);
            refused += kept.TryGet(Account, Node, out _) ? 0 : 1;
        }

        Assert.InRange(refused, 0, 1);
    }

    [Fact]
    public void DroppingEverything_RefusesEveryAnswerReadBefore()
    {
        var kept = new KeptAnswers(100);
        var epoch = kept.Epoch;

        kept.DropAll();
        kept.Keep(Account, Node, [1], epoch);
        kept.Keep(Account, Route, [2], epoch);

        Assert.Equal(0, kept.Count);
    }

    /// <summary>
    /// The protocol under concurrency, as the API runs it, in rounds that start together: a writer commits a new
    /// version and then the barrier drops its resource, while a reader takes the epoch, reads the version and keeps it.
    /// After every round what is kept, if anything, is the last version, never the older one the reader may have read.
    /// </summary>
    [Fact]
    public async Task KeepsRacingDrops_NeverLeaveAnOlderAnswerKept()
    {
        const int Rounds = 20_000;
        var kept = new KeptAnswers(1000);
        long version = 0;
        var stale = 0;
        var keptRounds = 0;
        long droppedIn = -1; // the last round whose drop is done
        using var together = new Barrier(2);

        var writer = Task.Run(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                together.SignalAndWait();
                Interlocked.Increment(ref version); // the write commits
                kept.Drop(Account, "m", "virtualNode", "", "n"); // a barrier applies its change-log row
                Volatile.Write(ref droppedIn, round);
                together.SignalAndWait();
            }
        });
        var reader = Task.Run(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                together.SignalAndWait();

                // One round in four the reader starts after the drop, as a Describe that follows a write does: it must
                // keep what it read. (Left to the scheduler, a loaded machine can have the reader lose every race.)
                if (round % 4 == 1)
                {
                    SpinWait.SpinUntil(() => Volatile.Read(ref droppedIn) >= round);
                }

                var epoch = kept.Epoch; // after the reader's barrier
                var read = Interlocked.Read(ref version); // the row read from PostgreSQL
                kept.Keep(Account, Node, BitConverter.GetBytes(read), epoch);
                together.SignalAndWait();
                if (kept.TryGet(Account, Node, out var answer))
                {
                    keptRounds++;
                    stale += BitConverter.ToInt64(answer) == Interlocked.Read(ref version) ? 0 : 1;
                }
            }
        });
        await Task.WhenAll(writer, reader);

        Assert.Equal(0, stale);
        Assert.True(keptRounds >= Rounds / 4, $"{keptRounds} of {Rounds} rounds kept their answer: a reader that started after the drop did not keep it");
    }

    [Fact]
    public void AChange_DropsItsOwnResourcesAnswerOnly()
    {
        var kept = new KeptAnswers(100);
        kept.Keep(Account, Node, [1], kept.Epoch);
        kept.Keep(Account, Route, [2], kept.Epoch);

        kept.Drop(Account, "m", "route", "r", "n");

        Assert.True(kept.TryGet(Account, Node, out _));
        Assert.False(kept.TryGet(Account, Route, out _));
        kept.DropAll();
        Assert.Equal(0, kept.Count);
    }

    [Fact]
    public void PastItsCapacity_ItStartsOver()
    {
        var kept = new KeptAnswers(2);
        for (var i = 0; i < 5; i++)
        {
            kept.Keep(Account, new ResourceId(ResourceKind.VirtualNode, "m", "", $"n{i}"), [(byte)i], kept.Epoch);
            Assert.InRange(kept.Count, 1, 2);
        }

        Assert.True(kept.TryGet(Account, new ResourceId(ResourceKind.VirtualNode, "m", "", "n4"), out _));
    }
}
