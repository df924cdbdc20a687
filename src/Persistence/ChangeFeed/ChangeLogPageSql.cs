// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// The statement that reads one page of the change log (<see cref="ChangeLogPages"/>: the numbers above a top, and
/// the holes below it by number, oldest first), for both followers: the xDS server's feed (through EF Core) and the
/// API's read barrier (through Npgsql). Each follower runs it after every write it hears of, so it is written to be
/// planned once per connection and not on every call.
/// </summary>
/// <remarks>
/// <para>
/// <b>The top is read through a sub-select</b> (<c>seq &gt; (SELECT $1::bigint)</c>), not compared directly. With
/// <c>seq &gt; $1</c>, PostgreSQL's custom plan for each value sees (by probing the index for its maximum) that almost
/// nothing lies above the top and costs the page at a row or two, while the generic plan costs a third of the table;
/// so the prepared statement is planned again on every execution, for ever (0 generic plans in 8 executions, 3
/// planning buffers each, measured). Behind a sub-select the value is unknown to both plans, they cost the same, and
/// after its first five executions the statement runs its one generic plan: an index range scan from the top.
/// </para>
/// <para>
/// <b>The holes are a branch of their own</b>, not an <c>OR</c>: a generic plan of <c>seq &gt; top OR seq = ANY(holes)</c>
/// could walk the index in order from the log's first row and filter. Each branch is an index scan on its own
/// condition, merged in order; the two never overlap, because a hole is always below the top
/// (<see cref="ChangeLogPages"/>).
/// </para>
/// </remarks>
public static class ChangeLogPageSql
{
    /// <summary>
    /// Up to <paramref name="limit"/> rows above the top, oldest first: <paramref name="columns"/> of the changes table,
    /// where <paramref name="after"/> is the top's parameter placeholder (<c>$1</c>, or <c>{0}</c> for EF Core).
    /// </summary>
    public static string AfterTop(string columns, string after, int limit) =>
        $"SELECT {columns} FROM changes WHERE seq > (SELECT {after}::bigint) ORDER BY seq LIMIT {limit}";

    /// <summary>
    /// Up to <paramref name="limit"/> rows above the top or numbered among the holes (<paramref name="holes"/>' placeholder,
    /// a bigint array), oldest first.
    /// </summary>
    public static string AfterTopOrHoles(string columns, string after, string holes, int limit) =>
        $"SELECT * FROM (({AfterTop(columns, after, limit)}) UNION ALL " +
        $"(SELECT {columns} FROM changes WHERE seq = ANY((SELECT {holes}::bigint[])::bigint[]) ORDER BY seq LIMIT {limit})) AS page " +
        $"ORDER BY seq LIMIT {limit}";
}
