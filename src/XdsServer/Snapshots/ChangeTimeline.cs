using System.Diagnostics;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// One mesh change's fan-out as it happened, per identity it rebuilt: when the change was handed to the producer,
/// when each identity's build started and finished (and on which thread, in which order), when its snapshot was
/// published to the cache (offered to its streams, or found unchanged), and when its streams took it from their
/// hand-over, got a push slot and finished writing it. A change's p99 follows its identities (docs/benchmarks.md,
/// issue13bn), and no other figure says where an identity's time went: <c>mesh_xds_snapshot_build_seconds</c> is a
/// histogram over all of them. Shown by <c>GET /change-timelines</c> on the admin port (issue13bo).
/// <para>
/// Times are <see cref="Stopwatch"/> timestamps: on Linux the monotonic clock every process of the host shares, so
/// a client on the same host (the fleet) can line them up with its own. Cheap enough to stay on: one object per
/// rebuilt identity per change, and per push three marks of a few interlocked operations on its identity's record.
/// </para>
/// </summary>
public sealed class ChangeTimeline
{
    private readonly IdentityTimeline?[] _identities;
    private int _buildsStarted;

    internal ChangeTimeline(MeshKey mesh, long generation, long handed, int watched)
    {
        Mesh = mesh;
        Generation = generation;
        Handed = handed;
        HandedUtc = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(handed);
        _identities = new IdentityTimeline?[watched];
    }

    public MeshKey Mesh { get; }

    /// <summary>The producer's number of the graph the change set.</summary>
    public long Generation { get; }

    /// <summary>When the graph was handed to the producer (<see cref="SnapshotProducer.SetMesh"/> called).</summary>
    public long Handed { get; }

    public DateTimeOffset HandedUtc { get; }

    /// <summary>When the builds were queued: the watched identities listed and the parallel loop started.</summary>
    public long BuildsQueued { get; private set; }

    /// <summary>When the last build was published and the producer returned.</summary>
    public long BuildsFinished { get; private set; }

    /// <summary>The thread pool's threads when the builds were queued.</summary>
    public int PoolThreads { get; private set; }

    /// <summary>Work items waiting in the thread pool when the builds were queued.</summary>
    public long PoolPending { get; private set; }

    /// <summary>Watched identities the change could not affect (left as they were).</summary>
    public int Skipped { get; internal set; }

    /// <summary>The rebuilt identities, in the order of the watched list the builds were started over.</summary>
    public IEnumerable<IdentityTimeline> Identities => _identities.OfType<IdentityTimeline>();

    internal void Queued()
    {
        PoolThreads = ThreadPool.ThreadCount;
        PoolPending = ThreadPool.PendingWorkItemCount;
        BuildsQueued = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts the record of the identity at <paramref name="index"/> of the watched list, as its build starts.</summary>
    internal IdentityTimeline Start(int index, ProxyIdentity identity) =>
        _identities[index] = new IdentityTimeline(identity, Interlocked.Increment(ref _buildsStarted) - 1);

    internal void Finished() => BuildsFinished = Stopwatch.GetTimestamp();
}

/// <summary>One identity's part of a <see cref="ChangeTimeline"/>; its snapshot carries it to the streams (<see cref="Snapshot.Timeline"/>).</summary>
public sealed class IdentityTimeline
{
    internal IdentityTimeline(ProxyIdentity identity, int order)
    {
        Identity = identity;
        Order = order;
    }

    public ProxyIdentity Identity { get; }

    /// <summary>Its place among the change's builds by start (0: the first started).</summary>
    public int Order { get; }

    /// <summary>The managed thread that built it.</summary>
    public int Thread { get; } = Environment.CurrentManagedThreadId;

    public long BuildStarted { get; } = Stopwatch.GetTimestamp();

    public long BuildFinished { get; private set; }

    /// <summary>When it was handed to the cache, which offers it to the identity's streams at once if it changed.</summary>
    public long Published { get; private set; }

    /// <summary>What became of the build: <c>offered</c>, <c>unchanged</c> (same version: offered to none), <c>rejected</c>, <c>missing</c>, <c>ignored</c>.</summary>
    public string Outcome { get; private set; } = "building";

    /// <summary>The streams it was offered to (the identity's watchers at its publication).</summary>
    public int Offered { get; private set; }

    /// <summary>Streams that took it from their hand-over (their loop woke and found it): the wake-up's wait.</summary>
    public StreamMarks Taken { get; } = new();

    /// <summary>Streams that got a push slot for it (<see cref="Protocol.PushGate"/>); none without the gate.</summary>
    public StreamMarks Slotted { get; } = new();

    /// <summary>Streams whose write of it completed (Kestrel took the bytes) and that wrote something.</summary>
    public StreamMarks Written { get; } = new();

    internal void Built() => BuildFinished = Stopwatch.GetTimestamp();

    /// <summary>Marks the hand-over to the cache: before it, so that no stream can take the snapshot earlier.</summary>
    internal void Publishing() => Published = Stopwatch.GetTimestamp();

    internal void PublishedAs(string outcome, int offered)
    {
        Offered = offered;
        Outcome = outcome;
    }
}

/// <summary>When the first and the last of an identity's streams reached one step of a push, and how many did.</summary>
public sealed class StreamMarks
{
    private long _first;
    private long _last;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The first stream's timestamp; 0 when none.</summary>
    public long First => Interlocked.Read(ref _first);

    /// <summary>The last stream's timestamp; 0 when none.</summary>
    public long Last => Interlocked.Read(ref _last);

    /// <summary>Marks one stream's step now.</summary>
    public void Mark()
    {
        var now = Stopwatch.GetTimestamp();
        var seen = Volatile.Read(ref _first);
        while (seen == 0 || now < seen)
        {
            var previous = Interlocked.CompareExchange(ref _first, now, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        InterlockedMax.Raise(ref _last, now);
        Interlocked.Increment(ref _count);
    }
}
