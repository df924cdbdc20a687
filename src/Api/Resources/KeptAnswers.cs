using System.Collections.Concurrent;
using Mesh.Model.Resources;

namespace Mesh.Api.Resources;

/// <summary>
/// The Describe answers this process keeps (<c>Mesh:ReadCache</c>), by the resource's identity as a Describe names it
/// (account, mesh, kind, parent, name: the columns its statement matches and a change-log row names). An answer is
/// kept only from a row read after a read barrier (<see cref="ReadBarrier"/>), and dropped when the change log names
/// its resource (<see cref="Drop"/>), so while it is kept it is the row's current answer as of the last barrier.
/// </summary>
/// <remarks>
/// A row read from PostgreSQL may be older than a change the barrier applies while the read is under way (the read
/// started before the change committed). <see cref="Epoch"/> rises with every drop, and each drop stamps its
/// resource's stripe (one of <see cref="Stripes"/>, by the identity's hash) with its epoch before the entry goes; an
/// answer is kept only if its stripe was not stamped since the epoch its reader took after its barrier:
/// <see cref="Keep"/> puts it in, then takes it out again if such a drop came meanwhile. Either the drop sees the
/// entry (and removes it) or the keeper sees the drop's stamp (and removes its own), so no older answer stays in after
/// the change that replaced it. A drop of another resource in the same stripe refuses a keep it need not (rare, and
/// only a read more); a drop of any other resource does not, so writes elsewhere in the account do not stop the
/// answers being kept (one epoch for all refused every keep read while anything changed; docs/benchmarks.md,
/// issue14bg). <see cref="DropAll"/> stamps every stripe at once.
/// Bounded: past <see cref="Capacity"/> entries it starts over, as <see cref="RenderedPerVersion"/> does.
/// </remarks>
public sealed class KeptAnswers(int capacity)
{
    /// <summary>How many stripes the drops' stamps are kept in (a power of two; 32 KiB of stamps).</summary>
    public const int Stripes = 4096;

    private readonly ConcurrentDictionary<Key, byte[]> answers = new();
    private readonly long[] droppedAt = new long[Stripes];
    private long allDroppedAt;
    private long epoch;

    public int Capacity { get; } = capacity;

    /// <summary>How many answers are kept.</summary>
    public int Count => answers.Count;

    /// <summary>Rises with every change applied (and with every drop of everything).</summary>
    public long Epoch => Interlocked.Read(ref epoch);

    /// <summary>The answer kept for <paramref name="id"/> of <paramref name="account"/>, if one is.</summary>
    public bool TryGet(string account, ResourceId id, out byte[] answer) =>
        answers.TryGetValue(KeyOf(account, id), out answer!);

    /// <summary>
    /// Keeps <paramref name="answer"/>, read from PostgreSQL after a barrier that left <see cref="Epoch"/> at
    /// <paramref name="seenEpoch"/>, unless a change to this resource (or one in its stripe) was applied since.
    /// Returns whether it was kept.
    /// </summary>
    public bool Keep(string account, ResourceId id, byte[] answer, long seenEpoch)
    {
        var key = KeyOf(account, id);
        var stripe = StripeOf(key);
        if (DroppedSince(stripe, seenEpoch))
        {
            return false;
        }

        if (answers.Count >= Capacity)
        {
            answers.Clear();
        }

        answers[key] = answer;
        if (DroppedSince(stripe, seenEpoch))
        {
            // A change was applied between the check and the put: it may be this resource's, and its drop may have
            // come before the put. Only this answer is taken out (a newer one put meanwhile stays).
            answers.TryRemove(KeyValuePair.Create(key, answer));
            return false;
        }

        return true;
    }

    /// <summary>The change log named this resource: its kept answer, if any, is no longer the answer.</summary>
    public void Drop(string account, string meshName, string kind, string parentName, string name)
    {
        var key = new Key(account, meshName, kind, parentName, name);
        StampAtLeast(ref droppedAt[StripeOf(key)], Interlocked.Increment(ref epoch));
        answers.TryRemove(key, out _);
    }

    /// <summary>Drops every kept answer: the change log can no longer say which are current.</summary>
    public void DropAll()
    {
        StampAtLeast(ref allDroppedAt, Interlocked.Increment(ref epoch));
        answers.Clear();
    }

    private bool DroppedSince(int stripe, long seenEpoch) =>
        Volatile.Read(ref droppedAt[stripe]) > seenEpoch || Volatile.Read(ref allDroppedAt) > seenEpoch;

    /// <summary>Raises a stamp to <paramref name="at"/> unless a later drop already raised it further: stamps never fall.</summary>
    private static void StampAtLeast(ref long stamp, long at)
    {
        var current = Volatile.Read(ref stamp);
        while (current < at)
        {
            var seen = Interlocked.CompareExchange(ref stamp, at, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static Key KeyOf(string account, ResourceId id) => new(account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name);

    private static int StripeOf(Key key) => key.GetHashCode() & (Stripes - 1);

    /// <summary>A resource's identity, as a Describe's statement and a change-log row name it.</summary>
    private readonly record struct Key(string Account, string MeshName, string Kind, string ParentName, string Name);
}
