// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// How far a follower has read the change log, for a follower that reads it often and must never skip a committed
/// row: the highest sequence number it has read (<see cref="Top"/>) and the numbers below it it has not seen
/// (<see cref="Holes"/>). The rule is the xDS server's (its <c>SequenceTracker</c>): sequence numbers are handed out
/// when a transaction inserts its row, not when it commits, so a later number can become visible before an earlier
/// one; a number below the highest seen that is missing is a hole, which its transaction may still fill, and a hole
/// is given up only after a time-out (a transaction that rolled back leaves one that never fills). The next read asks
/// for the numbers above <see cref="Top"/> and for the holes by number, so a hole costs its own lookup, not a re-read
/// of every row after it. Not thread-safe: one reader at a time.
/// </summary>
public sealed class ChangeLogPosition(TimeSpan gapTimeout, TimeProvider clock)
{
    /// <summary>
    /// The most holes one jump may open: a jump past it (a sequence reset or restored on a restore) is not tracked
    /// number by number; <see cref="Read"/> says so and the caller distrusts what it kept.
    /// </summary>
    public const int MaxHolesPerJump = 4096;

    // Each hole with the time it was first seen (TimeProvider timestamps).
    private readonly Dictionary<long, long> holes = [];

    /// <summary>Whether <see cref="Start"/> has been called.</summary>
    public bool Started { get; private set; }

    /// <summary>The highest sequence number read (or the start's floor).</summary>
    public long Top { get; private set; }

    /// <summary>The numbers below <see cref="Top"/> not read yet, which a transaction still in flight may fill.</summary>
    public IReadOnlyCollection<long> Holes => holes.Keys;

    /// <summary>
    /// Starts above <paramref name="floor"/>: numbers at or below it are taken as read. A follower starting from the
    /// log's current maximum passes a floor some way below it (the xDS server's <c>StartWindow</c>), so that rows of
    /// transactions still in flight under the maximum are read as holes when they commit.
    /// </summary>
    public void Start(long floor)
    {
        holes.Clear();
        Top = Math.Max(0, floor);
        Started = true;
    }

    /// <summary>
    /// Records that the row <paramref name="seq"/> was read: <see cref="ReadResult.New"/> when the follower has not
    /// applied it yet, <see cref="ReadResult.Seen"/> when it has.
    /// </summary>
    public ReadResult Read(long seq)
    {
        if (seq > Top)
        {
            var skipped = seq - Top - 1;
            if (skipped > MaxHolesPerJump)
            {
                Top = seq;
                return ReadResult.NewAfterUntrackedJump;
            }

            var now = clock.GetTimestamp();
            for (var hole = Top + 1; hole < seq; hole++)
            {
                holes[hole] = now;
            }

            Top = seq;
            return ReadResult.New;
        }

        return holes.Remove(seq) ? ReadResult.New : ReadResult.Seen;
    }

    /// <summary>Gives up the holes older than the time-out and returns how many; their rows are taken as never coming.</summary>
    public int GiveUpOldHoles()
    {
        List<long>? old = null;
        foreach (var (seq, since) in holes)
        {
            if (clock.GetElapsedTime(since) >= gapTimeout)
            {
                (old ??= []).Add(seq);
            }
        }

        foreach (var seq in old ?? [])
        {
            holes.Remove(seq);
        }

        return old?.Count ?? 0;
    }

    public enum ReadResult
    {
        /// <summary>Read before: nothing to apply.</summary>
        Seen,

        /// <summary>Not read before: apply it.</summary>
        New,

        /// <summary>Not read before, after a jump too long to track its numbers as holes: apply it, and trust nothing kept.</summary>
        NewAfterUntrackedJump,
    }
}
