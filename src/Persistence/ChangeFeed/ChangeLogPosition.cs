// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// How far a follower has read the change log, for a follower that reads it often and must never skip a committed
/// row: the highest sequence number it has read (<see cref="Top"/>) and the numbers below it it has not seen
/// (<see cref="Holes"/>). The one place for the rule both followers (the xDS server's change feed, the API's read
/// barrier) use: sequence numbers are handed out when a transaction inserts its row, not when it commits, so a later
/// number can become visible before an earlier one; a number below the highest seen that is missing is a hole, which
/// its transaction may still fill. The next read asks for the numbers above <see cref="Top"/> and for the holes by
/// number (page by page: <see cref="ChangeLogPages"/>), so a hole costs its own lookup, not a re-read of every row
/// after it. Not thread-safe: one reader at a time.
/// </summary>
/// <remarks>
/// <para>
/// <b>When a hole is given up.</b> After <c>gapTimeout</c> at the latest (a transaction that rolled back leaves a hole
/// that never fills). Sooner, and exactly, for a follower that tells it which transactions may still be writing to the
/// log (<see cref="EndRead(IReadOnlySet{string}?)"/>'s <c>writers</c>: those holding the lock an INSERT into <c>changes</c> takes, read after
/// the read's snapshot). The transaction that took a hole's number took it after it locked the table (the INSERT
/// locks its table before it evaluates the number) and holds the lock until it ends, and it was running when the hole
/// was first seen (a later number was visible then). So it is among the writers of the first such list read after the
/// hole was seen, or it had ended by then. A hole none of whose possible writers is in a later list was filled by none
/// still running when that list was read: every read that starts after it either sees the row or never will, and the
/// hole still missing at the next read is given up. Transaction ids would not do: a writer whose first write is its
/// change row takes its number before its transaction id, so a snapshot's <c>xmin</c> past the one the hole was
/// seen in does not prove it ended.
/// </para>
/// <para>
/// <b>Reads whose statements overlap</b> (the API's pipelined read barriers: a read may be sent before the one ahead
/// of it is applied, and PostgreSQL may take their snapshots in either order) keep that rule by tickets
/// (<see cref="NextTicket"/>): a read takes one when its statement is sent, a list of writers one once it has been
/// read, and a hole that no writer left can fill is given up only by a read sent after that list was read. A read
/// sent earlier may have taken its snapshot before the hole's writer committed, so its not returning the row proves
/// nothing. Reads are still applied one at a time, in the order they were sent.
/// </para>
/// </remarks>
public sealed class ChangeLogPosition(TimeSpan gapTimeout, TimeProvider clock)
{
    /// <summary>
    /// The most holes one jump may open: a jump past it (a sequence reset or restored on a restore) is not tracked
    /// number by number; <see cref="Read"/> says so and the caller distrusts what it kept.
    /// </summary>
    public const int MaxHolesPerJump = 4096;

    private readonly Dictionary<long, Hole> holes = [];

    /// <summary>Whether <see cref="Start"/> has been called.</summary>
    public bool Started { get; private set; }

    /// <summary>The highest sequence number read (or the start's floor).</summary>
    public long Top { get; private set; }

    /// <summary>The numbers below <see cref="Top"/> not read yet, which a transaction still in flight may fill.</summary>
    public IReadOnlyCollection<long> Holes => holes.Keys;

    private long tickets;

    /// <summary>
    /// The next of this position's tickets, increasing: taken when a read's statement is sent and when a list of
    /// writers has been read, to tell <see cref="EndRead(IReadOnlySet{string}?, long, long)"/> which came first.
    /// </summary>
    public long NextTicket() => ++tickets;

    /// <summary>Whether <paramref name="seq"/> is a hole: below <see cref="Top"/>, not read and not given up.</summary>
    public bool IsHole(long seq) => holes.ContainsKey(seq);

    /// <summary>Every number at or below this has been read or given up: the lowest hole's predecessor, or <see cref="Top"/>.</summary>
    public long Watermark => holes.Count == 0 ? Top : holes.Keys.Min() - 1;

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
                holes[hole] = new Hole(now);
            }

            Top = seq;
            return ReadResult.New;
        }

        return holes.Remove(seq) ? ReadResult.New : ReadResult.Seen;
    }

    /// <summary>
    /// Takes in that the change log's rows at or below <paramref name="prunedThrough"/> have been pruned
    /// (<see cref="ChangeLogRetention"/>): true when one of those numbers had not been read (a hole, or a number above
    /// the top), so the follower may have missed a committed change and must read everything again; those numbers are
    /// no longer waited for. False, changing nothing, when every number up to it had been read.
    /// </summary>
    public bool ForgetPruned(long prunedThrough)
    {
        if (prunedThrough <= Watermark)
        {
            return false;
        }

        foreach (var seq in holes.Keys.Where(seq => seq <= prunedThrough).ToList())
        {
            holes.Remove(seq);
        }

        Top = Math.Max(Top, prunedThrough);
        return true;
    }

    /// <summary>Gives up the holes older than the time-out and returns how many; their rows are taken as never coming.</summary>
    public int GiveUpOldHoles() => EndRead(writers: null).Count;

    /// <summary>
    /// Ends a read, once its rows have been <see cref="Read"/>: gives up the holes that no transaction still running at
    /// an earlier read could fill (<see cref="GivenUp.Ended"/>) and those older than the time-out
    /// (<see cref="GivenUp.TimedOut"/>). Then, with <paramref name="writers"/> (the transactions holding the change
    /// log's insert lock, read after this read's snapshot; see the remarks), notes the holes no transaction left can
    /// fill: the next read gives them up if they are still missing.
    /// </summary>
    public GivenUp EndRead(IReadOnlySet<string>? writers) => EndRead(writers, readSent: long.MaxValue, writersRead: long.MinValue);

    /// <summary>
    /// <see cref="EndRead(IReadOnlySet{string}?)"/> for reads whose statements may overlap: <paramref name="readSent"/>
    /// is the ticket this read took when its statement was sent, <paramref name="writersRead"/> the one taken once
    /// <paramref name="writers"/> was read. A hole no writer can fill is given up only by a read sent after the list
    /// that showed it (see the remarks).
    /// </summary>
    public GivenUp EndRead(IReadOnlySet<string>? writers, long readSent, long writersRead)
    {
        List<long>? ended = null;
        List<long>? timedOut = null;
        foreach (var (seq, hole) in holes)
        {
            if (hole.MayFill is { Count: 0 } && hole.NoWriterSince < readSent)
            {
                (ended ??= []).Add(seq);
            }
            else if (clock.GetElapsedTime(hole.Since) >= gapTimeout)
            {
                (timedOut ??= []).Add(seq);
            }
        }

        foreach (var seq in (ended ?? []).Concat(timedOut ?? []))
        {
            holes.Remove(seq);
        }

        if (writers is not null)
        {
            NoteWriters(writers, writersRead);
        }

        return new GivenUp(ended?.Order().ToList() ?? [], timedOut?.Order().ToList() ?? []);
    }

    /// <summary>
    /// Narrows each hole's possible writers to those still running. Holes first seen since the last list take this
    /// one whole, in one set they share (narrowing a shared set by the same list is the same for each of them).
    /// </summary>
    private void NoteWriters(IReadOnlySet<string> writers, long writersRead)
    {
        HashSet<string>? first = null;
        foreach (var hole in holes.Values)
        {
            if (hole.MayFill is null)
            {
                hole.MayFill = first ??= [.. writers];
            }
            else
            {
                hole.MayFill.IntersectWith(writers);
            }

            if (hole.MayFill.Count == 0)
            {
                hole.NoWriterSince = Math.Min(hole.NoWriterSince, writersRead);
            }
        }
    }

    /// <summary>A hole: when it was first seen (a <see cref="TimeProvider"/> timestamp), and who may still fill it.</summary>
    private sealed class Hole(long since)
    {
        public long Since { get; } = since;

        /// <summary>
        /// The transactions (virtual transaction ids) that may have taken its number and are not known to have ended;
        /// null until a list of writers is read after the hole was seen; empty once none is left.
        /// </summary>
        public HashSet<string>? MayFill { get; set; }

        /// <summary>The ticket of the first list of writers that left <see cref="MayFill"/> empty (the largest ticket until then).</summary>
        public long NoWriterSince { get; set; } = long.MaxValue;
    }

    /// <summary>The holes one <see cref="EndRead(IReadOnlySet{string}?)"/> gave up, each list in ascending order.</summary>
    public readonly record struct GivenUp(IReadOnlyList<long> Ended, IReadOnlyList<long> TimedOut)
    {
        public int Count => Ended.Count + TimedOut.Count;
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
