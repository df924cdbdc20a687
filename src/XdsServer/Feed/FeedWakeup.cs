namespace Mesh.XdsServer.Feed;

/// <summary>Why the change feed woke before its time-out (several may have happened since it last looked).</summary>
[Flags]
public enum WakeReasons
{
    None = 0,

    /// <summary>A NOTIFY arrived on the LISTEN connection: something was committed.</summary>
    Notified = 1,

    /// <summary>A proxy started to watch a mesh whose changes wait in <see cref="DeferredMeshes"/>.</summary>
    Watched = 2,

    /// <summary>The LISTEN connection's wait ended (it broke): the feed must reconnect.</summary>
    ListenEnded = 4,
}

/// <summary>
/// The one thing the change feed waits on between catch-ups. Npgsql's wait on the LISTEN connection cannot be
/// interrupted without breaking the connection (cancelling it closes the socket), and a wait with a time-out handed
/// to Npgsql had its own pitfalls (a time-out under a millisecond became none at all, 795ed2c). So the LISTEN
/// connection waits on its own, without a time-out, and only reports here; the feed's time-outs (the poll, the next
/// deferred mesh's deadline, the debounce) run on <see cref="TimeProvider"/> timers, and anything else that must wake
/// the feed, such as a proxy starting to watch a waiting mesh, sets a reason. A reason set while the feed is busy is
/// kept for its next wait, so nothing is lost between waits. Thread-safe; one waiter at a time (the feed's loop).
/// </summary>
public sealed class FeedWakeup(TimeProvider clock)
{
    private readonly Lock _lock = new();
    private WakeReasons _pending;
    private TaskCompletionSource? _waiter;

    public void Set(WakeReasons reason)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _pending |= reason;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>
    /// Waits until a reason is set or <paramref name="timeout"/> passes, and returns (and clears) every reason set
    /// since the last call: <see cref="WakeReasons.None"/> means the time-out passed with none.
    /// </summary>
    public async Task<WakeReasons> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_pending != WakeReasons.None)
            {
                return Take();
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = waiter;
        }

        using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timedOut = Task.Delay(timeout, clock, timer.Token);
            await Task.WhenAny(waiter.Task, timedOut);
            timer.Cancel(); // stops the timer when the wait ended first
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_waiter == waiter)
            {
                _waiter = null;
            }

            return Take();
        }
    }

    private WakeReasons Take()
    {
        var reasons = _pending;
        _pending = WakeReasons.None;
        return reasons;
    }
}
