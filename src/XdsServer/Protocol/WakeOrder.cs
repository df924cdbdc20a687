using System.Collections.Concurrent;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Wakes the streams waiting for a snapshot in the order it was offered to them, on the thread pool's shared queue.
/// A change's builds offer each identity's snapshot to its streams from the building thread, and a stream's wake-up
/// used to run the stream's loop as that thread's work: queued to the building thread's own queue, which it empties
/// newest first once its builds are done, and which other threads take from only when the shared queue (the sockets'
/// reads and writes) is empty. So the identities built last were pushed first, and the first built waited for the
/// builds and the pushes of all the others: the order of a change's tail, reversed and by identity
/// (docs/benchmarks.md, issue13bo). Here each wake-up is one work item on the shared queue, and whichever runs
/// first wakes the stream offered first.
/// </summary>
internal sealed class WakeOrder
{
    private readonly ConcurrentQueue<TaskCompletionSource> _waiting = new();
    private readonly Action<WakeOrder> _schedule;

    public WakeOrder()
        : this(static order => ThreadPool.UnsafeQueueUserWorkItem(static order => order.WakeOldest(), order, preferLocal: false))
    {
    }

    /// <param name="schedule">Runs <see cref="WakeOldest"/> once, later (the tests run them in an order of their own).</param>
    internal WakeOrder(Action<WakeOrder> schedule) => _schedule = schedule;

    /// <summary>Queues a waiting stream's wake-up behind those offered before it.</summary>
    public void Wake(TaskCompletionSource waiter)
    {
        _waiting.Enqueue(waiter);
        _schedule(this);
    }

    /// <summary>Wakes the stream that has waited longest (one per <see cref="Wake"/>).</summary>
    internal void WakeOldest()
    {
        if (_waiting.TryDequeue(out var waiter))
        {
            waiter.TrySetResult();
        }
    }
}
