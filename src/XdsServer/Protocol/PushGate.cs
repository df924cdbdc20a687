using System.Collections.Concurrent;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Bounds how many streams have a push in flight at once (<c>Xds:PushesInFlight</c>): a route change offers its
/// snapshot to every stream at once, and each stream's responses then wait in Kestrel's pipes, in blocks of its pool,
/// until the socket sends them and the proxy's ACK is read; with 10,000 streams that was most of a change's peak of
/// blocks, which Kestrel's pinned pool keeps afterwards (docs/benchmarks.md, issue13ak). With the gate a stream takes a
/// slot before it writes a snapshot's responses and gives it back when it next reads a request from its proxy (the
/// ACK or NACK), so the pool holds at most about that many streams' pushes; the rest wait their turn, in order.
/// <para>
/// A proxy that does not answer must not hold up the others: a slot held longer than the hold time is given back
/// anyway (counted in <c>mesh_xds_push_slots_expired_total</c>), and the push itself goes on.
/// </para>
/// </summary>
public sealed class PushGate : IDisposable
{
    public const string Waited = "mesh_xds_push_slot_waits_total";
    public const string Expired = "mesh_xds_push_slots_expired_total";

    private readonly SemaphoreSlim _free;
    private readonly TimeSpan _hold;
    private readonly TimeProvider _clock;

    // Held slots in the order they were taken, which is also the order they expire in (one hold time for all).
    private readonly ConcurrentQueue<Slot> _held = new();
    private readonly ITimer _sweep;
    private long _waited;
    private long _expired;

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

    /// <summary>Slots given back because their proxy did not answer within the hold time.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expired);

    /// <summary>Takes a slot, waiting behind the streams that asked before (SemaphoreSlim's waiters are served in order).</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (!_free.Wait(0))
        {
            Interlocked.Increment(ref _waited);
            await _free.WaitAsync(cancellationToken);
        }

        var slot = new Slot(this, _clock.GetTimestamp());
        _held.Enqueue(slot);
        return slot;
    }

    /// <summary>Gives back the slots held longer than the hold time (their proxies are slow or gone).</summary>
    internal void Sweep()
    {
        var now = _clock.GetTimestamp();
        while (_held.TryPeek(out var oldest))
        {
            if (oldest.IsReleased)
            {
                _held.TryDequeue(out _);
                continue;
            }

            if (_clock.GetElapsedTime(oldest.TakenAt, now) < _hold)
            {
                return;
            }

            _held.TryDequeue(out _);
            if (oldest.TryRelease())
            {
                Interlocked.Increment(ref _expired);
            }
        }
    }

    public void Dispose() => _sweep.Dispose();

    private void Return() => _free.Release();

    /// <summary>One stream's place among the pushes in flight; given back once, by its stream or by the sweep.</summary>
    public sealed class Slot(PushGate gate, long takenAt)
    {
        private int _released;

        public long TakenAt { get; } = takenAt;

        public bool IsReleased => Volatile.Read(ref _released) != 0;

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
