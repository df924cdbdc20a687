// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// What each statement of one read of the change log asks for: the one paging rule both followers of a
/// <see cref="ChangeLogPosition"/> use (the xDS server's change feed, the API's read barrier). The first statement asks
/// for the numbers above the position's top and for its holes by number (<see cref="After"/>, <see cref="Holes"/>),
/// oldest first, at most <see cref="PageSize"/> rows. A full page is followed by another, which asks for what lies
/// above the page's last row: the numbers above it and the holes above it. Holes are below the top, so they come first:
/// with more filled holes than a page holds, the next page must still ask for the rest by number (asking only for the
/// numbers above the top would skip them until the next read). A hole below the last row that the page did not return
/// was not committed in its snapshot; the next read asks for it again.
/// </summary>
/// <remarks>
/// Made at the start of a read, from the position as it was then; the follower tells it each row returned
/// (<see cref="Returned"/>), whether or not it records the row in the position at once (the barrier does, the feed
/// only once its meshes are loaded). Not thread-safe: one reader at a time.
/// </remarks>
public sealed class ChangeLogPages
{
    private readonly long startTop;
    private int filled;
    private int rows;
    private long last;

    public ChangeLogPages(ChangeLogPosition position, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        PageSize = pageSize;
        startTop = After = position.Top;
        StartHoles = Holes = position.Holes.Count == 0 ? [] : [.. position.Holes.Order()];
    }

    /// <summary>The most rows a statement returns (its LIMIT): a page with fewer is the last.</summary>
    public int PageSize { get; }

    /// <summary>The next statement asks for every number above this.</summary>
    public long After { get; private set; }

    /// <summary>And for these, by number, in ascending order (empty when none is missing).</summary>
    public long[] Holes { get; private set; }

    /// <summary>The position's holes when the read started, in ascending order: what its first statement asked for by number.</summary>
    public long[] StartHoles { get; }

    /// <summary>
    /// Whether a hole the position had when the read started is still missing once every page is read: only then is
    /// a list of the transactions that may fill it worth reading (<see cref="ChangeLogPosition.EndRead(IReadOnlySet{string}?)"/>). A hole
    /// first seen in this read is the usual late commit, filled by the next read, and costs no list of its own.
    /// </summary>
    public bool EarlierHolesMissing => filled < StartHoles.Length;

    /// <summary>Notes a row the current page returned (pages return each number at most once: they do not overlap).</summary>
    public void Returned(long seq)
    {
        rows++;
        last = Math.Max(last, seq);
        if (seq <= startTop)
        {
            filled++; // only a hole is returned at or below the top
        }
    }

    /// <summary>
    /// Ends the current page: false when it was the last (not full); true when another must be read, with
    /// <see cref="After"/> and <see cref="Holes"/> now naming what is above this page's last row.
    /// </summary>
    public bool NextPage()
    {
        if (rows < PageSize)
        {
            return false;
        }

        After = Math.Max(After, last);
        var above = last;
        Holes = Array.FindAll(Holes, hole => hole > above);
        rows = 0;
        return true;
    }
}
