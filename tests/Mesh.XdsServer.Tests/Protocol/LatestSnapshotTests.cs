using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>The stream's one-slot, latest-wins hand-over of snapshots.</summary>
public sealed class LatestSnapshotTests
{
    private static Snapshot NewSnapshot() => new(new Dictionary<string, ResourceSet>());

    [Fact]
    public void An_Offer_Replaces_A_Snapshot_Not_Yet_Taken_And_A_Take_Empties_The_Slot()
    {
        var slot = new LatestSnapshot();
        Assert.False(slot.TryTake(out _));

        var (first, second) = (NewSnapshot(), NewSnapshot());
        slot.Offer(first);
        slot.Offer(second);

        Assert.True(slot.TryTake(out var taken));
        Assert.Same(second, taken);
        Assert.False(slot.TryTake(out _));
    }

    [Fact]
    public async Task A_Wait_Completes_At_Once_With_A_Snapshot_There_And_Otherwise_On_The_Next_Offer()
    {
        var slot = new LatestSnapshot();
        slot.Offer(NewSnapshot());
        Assert.True(slot.WaitAsync().IsCompletedSuccessfully);
        Assert.True(slot.TryTake(out _));

        var waiting = slot.WaitAsync();
        Assert.False(waiting.IsCompleted);
        Assert.Same(waiting, slot.WaitAsync());

        var offered = NewSnapshot();
        slot.Offer(offered);
        await waiting.DefaultTimeout();
        Assert.True(slot.TryTake(out var taken));
        Assert.Same(offered, taken);
        Assert.False(slot.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task Offers_From_Many_Threads_Always_Wake_The_Reader_And_The_Last_Is_Taken()
    {
        var slot = new LatestSnapshot();
        var snapshots = Enumerable.Range(0, 8).Select(_ => NewSnapshot()).ToList();
        var taken = 0;
        var reader = Task.Run(async () =>
        {
            while (taken < 200)
            {
                await slot.WaitAsync().DefaultTimeout();
                if (slot.TryTake(out _))
                {
                    taken++;
                }
            }
        });

        // Each round offers from several threads at once and waits until the reader took something; a lost
        // wake-up would leave the reader waiting and time out.
        for (var round = 0; round < 200; round++)
        {
            var before = Volatile.Read(ref taken);
            await Task.WhenAll(snapshots.Select(s => Task.Run(() => slot.Offer(s))));
            await Eventually.TrueAsync(() => Volatile.Read(ref taken) > before || reader.IsCompleted);
        }

        await reader.DefaultTimeout();
    }

    [Fact]
    public void With_A_Wake_Order_Waiting_Readers_Wake_In_The_Order_Offered_Whatever_Order_The_Wake_Ups_Run()
    {
        var scheduled = new List<WakeOrder>();
        var wakes = new WakeOrder(scheduled.Add);
        var slots = Enumerable.Range(0, 3).Select(_ => new LatestSnapshot(wakes)).ToList();
        var waits = slots.Select(s => s.WaitAsync()).ToList();

        // Offered in order; the wake-ups are queued, not run by the offering thread.
        slots.ForEach(s => s.Offer(NewSnapshot()));
        Assert.Equal(3, scheduled.Count);
        Assert.All(waits, w => Assert.False(w.IsCompleted));

        // The thread pool may run them in any order (a thread's own queue is newest first): each wakes the oldest.
        var woken = new List<int>();
        for (var i = scheduled.Count - 1; i >= 0; i--)
        {
            scheduled[i].WakeOldest();
            woken.Add(waits.FindIndex(w => w.IsCompleted && !woken.Contains(waits.IndexOf(w))));
        }

        Assert.Equal([0, 1, 2], woken);
        Assert.All(slots, s => Assert.True(s.TryTake(out _)));
    }

    [Fact]
    public void An_Offer_To_A_Reader_That_Does_Not_Wait_Queues_No_Wake_Up()
    {
        var scheduled = new List<WakeOrder>();
        var slot = new LatestSnapshot(new WakeOrder(scheduled.Add));
        slot.Offer(NewSnapshot());
        Assert.True(slot.WaitAsync().IsCompleted);
        Assert.True(slot.TryTake(out _));

        var waiting = slot.WaitAsync();
        slot.Offer(NewSnapshot());
        slot.Offer(NewSnapshot()); // the reader was woken once; the second offer only replaces the snapshot
        Assert.Single(scheduled);
        scheduled[0].WakeOldest();
        Assert.True(waiting.IsCompleted);
    }
}
