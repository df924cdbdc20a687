using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// A stream's one-slot, latest-wins hand-over of snapshots from the cache's watchers to the stream's loop: an
/// offer replaces a snapshot not yet taken, and never blocks. It does what a bounded channel of one with
/// drop-oldest did, for a fraction of its memory: an idle stream waits here for as long as its proxy is connected,
/// and the channel kept about 1 KB per stream (its queue, reader and writer, cached wait operations, and a
/// registration on the stream's cancellation token) where this keeps two fields and, while waiting, one task.
/// <para>
/// One reader (the stream's loop), any number of writers. The wait is not cancellable: the loop waits for it
/// together with the stream's pending read, which the stream's cancellation ends.
/// </para>
/// </summary>
internal sealed class LatestSnapshot
{
    private Snapshot? _latest;
    private TaskCompletionSource? _waiter;

    /// <summary>Offers a snapshot; an older one not yet taken is replaced. Wakes the reader if it waits.</summary>
    public void Offer(Snapshot snapshot)
    {
        // Both exchanges are full fences: the reader that publishes its waiter after this reads the snapshot in
        // its re-check, and one that published before is woken here.
        Interlocked.Exchange(ref _latest, snapshot);
        Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
    }

    /// <summary>Takes the snapshot offered since the last take, if any.</summary>
    public bool TryTake(out Snapshot snapshot)
    {
        snapshot = Interlocked.Exchange(ref _latest, null)!;
        return snapshot is not null;
    }

    /// <summary>Completes when a snapshot is there to take (at once if one is already). For the single reader.</summary>
    public Task WaitAsync()
    {
        var waiter = Volatile.Read(ref _waiter);
        if (waiter is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref _waiter, created, null) ?? created;
        }

        // Re-checked after the waiter is published: an offer that came before it did not see the waiter.
        return Volatile.Read(ref _latest) is not null ? Task.CompletedTask : waiter.Task;
    }
}
