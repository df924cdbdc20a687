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
}
