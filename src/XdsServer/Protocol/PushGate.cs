using System.Collections.Concurrent;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Bounds how many streams are writing a push at once (<c>Xds:PushesInFlight</c>): a route change offers its snapshot
/// to every stream at once, and without a bound every stream's responses are serialised into Kestrel's pooled blocks
/// before the sockets send any of them; with 10,000 streams that was most of a change's peak of blocks, which
/// Kestrel's pinned pool keeps afterwards (docs/benchmarks.md, issue13ak). A stream takes a slot before it writes a
/// snapshot's responses; the others wait their turn, in order.
/// <para>
/// A slot is given back on whichever comes first (docs/benchmarks.md, issue13ao):
/// <list type="bullet">
/// <item><b>written</b>: the stream's writes completed, i.e. Kestrel's HTTP/2 frame writer took the push's bytes out of
/// the stream's pipe (it pauses the writer until then) and handed them on to the connection's, whose socket sends
/// them at once; a proxy that reads gets here whether or not it ever answers;</item>
/// <item><b>stalled</b>: the write still waits while a whole gate's worth of pushes that took their slots after it
/// have been written: its proxy's HTTP/2 windows are closed (it stopped reading) or its connection cannot send, so
/// it is stuck, not slow, and it must not hold up the streams behind it (counted in
/// <c>mesh_xds_push_slots_stalled_total</c>; its write goes on);</item>
/// <item><b>expired</b>: the last resort, a slot held longer than the hold time (<c>Xds:PushSlotHoldMilliseconds</c>),
/// for a stall no later push can show, e.g. every slot held by a stuck stream (counted in
/// <c>mesh_xds_push_slots_expired_total</c>; the write goes on).</item>
/// </list>
/// </para>
/// </summary>
public sealed class PushGate : IDisposable
{
    public const string Waited = "mesh_xds_push_slot_waits_total";
    public const string Expired = "mesh_xds_push_slots_expired_total";
    public const string Stalled = "mesh_xds_push_slots_stalled_total";

    private readonly SemaphoreSlim _free;
    private readonly TimeSpan _hold;
    private readonly TimeProvider _clock;

    // Held slots in the order they were taken: the order they expire in (one hold time for all) and, by ticket, the
    // order in which later writes overtake them. Walked by one thread at a time (the sweep or a finished write).
    private readonly ConcurrentQueue<Slot> _held = new();
    private readonly Lock _walking = new();
    private readonly ITimer _sweep;
    private long _tickets;
    private long _lastWritten;
    private long _waited;
    private long _expired;
    private long _stalled;

    public PushGate(int slots, TimeSpan hold, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(hold, TimeSpan.Zero);
        Slots = slots;
        _free = new SemaphoreSlim(slots, slots);
        _hold = hold;
        _clock = clock;
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, hold.Ticks / 4));
        _sweep = clock.CreateTimer(_ => Sweep(), null, every, every);
    }

    public int Slots { get; }

    /// <summary>Slots taken and not given back yet.</summary>
    public int InFlight => Slots - _free.CurrentCount;

    /// <summary>Pushes that found every slot taken and waited for one.</summary>
    public long WaitedCount => Interlocked.Read(ref _waited);

    /// <summary>Slots given back because their push was not written within the hold time.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expired);

    /// <summary>Slots given back because a gate's worth of later pushes were written while theirs still waited.</summary>
    public long StalledCount => Interlocked.Read(ref _stalled);

    /// <summary>Takes a slot, waiting behind the streams that asked before (SemaphoreSlim's waiters are served in order).</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (!_free.Wait(0))
        {
            Interlocked.Increment(ref _waited);
            await _free.WaitAsync(cancellationToken);
        }

        var slot = new Slot(this, Interlocked.Increment(ref _tickets), _clock.GetTimestamp());
        _held.Enqueue(slot);
        return slot;
    }

    /// <summary>Gives back the slots held longer than the hold time (their writes are stuck and nothing overtook them).</summary>
    internal void Sweep() => Walk();

    /// <summary>
    /// From the oldest held slot on, gives back those already given back (drops them), those overtaken by a gate's
    /// worth of written pushes (stalled) and those held past the hold time (expired); stops at the first that is none.
    /// </summary>
    private void Walk()
    {
        if (!_walking.TryEnter())
        {
            return; // another thread is walking, and sees what this one would
        }

        try
        {
            var now = _clock.GetTimestamp();
            var lastWritten = Interlocked.Read(ref _lastWritten);
            while (_held.TryPeek(out var oldest))
            {
                if (!oldest.IsReleased)
                {
                    var stalled = lastWritten - oldest.Ticket >= Slots;
                    if (!stalled && _clock.GetElapsedTime(oldest.TakenAt, now) < _hold)
                    {
                        return;
                    }

                    if (oldest.TryRelease())
                    {
                        Interlocked.Increment(ref stalled ? ref _stalled : ref _expired);
                    }
                }

                _held.TryDequeue(out _);
            }
        }
        finally
        {
            _walking.Exit();
        }
    }

    private void OnWritten(long ticket)
    {
        InterlockedMax.Raise(ref _lastWritten, ticket);

        // Also drops the slots given back at the head of the queue, so it does not grow with every push.
        Walk();
    }

    public void Dispose() => _sweep.Dispose();

    private void Return() => _free.Release();

    /// <summary>One stream's place among the pushes being written; given back once, by its stream or by the gate.</summary>
    public sealed class Slot(PushGate gate, long ticket, long takenAt)
    {
        private int _released;

        /// <summary>Its place in the order slots were taken in.</summary>
        public long Ticket { get; } = ticket;

        public long TakenAt { get; } = takenAt;

        public bool IsReleased => Volatile.Read(ref _released) != 0;

        /// <summary>The push's writes completed: gives the slot back (if the gate has not) and lets the gate see which older writes this one overtook.</summary>
        public void Written()
        {
            TryRelease();
            gate.OnWritten(Ticket);
        }

        /// <summary>Gives the slot back; false when it was already given back.</summary>
        public bool TryRelease()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return false;
            }

            gate.Return();
            return true;
        }
    }
}
