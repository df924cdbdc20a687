using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The locks that keep App Mesh's rules true under READ COMMITTED (see <see cref="WriteTransactions"/>). A write
/// holds a shared lock on each resource it depends on (its mesh, its parent, what its spec names), so none of them
/// can be deleted until it commits; a delete takes that lock exclusively, then its row FOR UPDATE, before it looks
/// for dependents, so it waits for every writer that depends on the resource and then sees what they wrote. The
/// locks are statements a write sends in its first batch (<see cref="WriteBatch"/>); the reads after them return
/// the rows in <see cref="ResourceRows.Columns"/>.
/// </summary>
/// <remarks>
/// The "depends on" lock is a transaction-level advisory lock keyed by the resource's identity, not FOR KEY SHARE
/// on its row: a row share-locked by several transactions at once needs a MultiXact, which every further locker
/// replaces with a bigger one, rewriting the row under an exclusive buffer lock. Every create and update in a
/// mesh locks the mesh, so under concurrent writes that row was their bottleneck (the statement averaged 3.2 ms at
/// 8 and 32 clients in <c>pg_stat_statements</c>). Shared advisory locks live in the lock manager and do not touch
/// the row. Two identities whose keys collide only make a delete wait for a writer it did not need to.
/// </remarks>
public static class ResourceLocks
{
    /// <summary>The first key of every resource advisory lock, so they cannot collide with other advisory locks.</summary>
    private const int AdvisoryClass = 0x4D455348; // "MESH"

    /// <summary>
    /// Takes the shared "depends on" lock on each of <paramref name="ids"/> (all in one mesh), then, in a new
    /// statement (so with a snapshot taken after any delete it waited for), reads those that exist. Two statements:
    /// the lock's result (one row) comes first, then the rows.
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> Share(string account, string mesh, IReadOnlyCollection<ResourceId> ids)
    {
        var kinds = ids.Select(i => i.Kind.WireName).ToArray();
        var parents = ids.Select(i => i.ParentName).ToArray();
        var names = ids.Select(i => i.Name).ToArray();
        yield return WriteBatch.Statement($"""
            SELECT count(*) FROM (
                SELECT pg_advisory_xact_lock_shared({AdvisoryClass}, {Key("$1", "$2", "k", "p", "n")})
                FROM unnest($3::text[], $4::text[], $5::text[]) AS t(k, p, n)) AS locked
            """, account, mesh, kinds, parents, names);
        // One index probe per identity: LATERAL with LIMIT (the identity is unique) keeps the planner from flattening
        // the subquery, so the full key is the index condition. Written as IN (...), the
        // planner took a mesh it had no statistics for yet (any mesh being filled) for a tiny one, scanned every
        // row of the mesh by its key prefix and filtered: ~400 buffers per call in a mesh of a few thousand.
        yield return WriteBatch.Statement($"""
            SELECT {ResourceRows.Columns} FROM unnest($3::text[], $4::text[], $5::text[]) AS wanted(k, p, n)
            CROSS JOIN LATERAL (
                SELECT * FROM resources
                WHERE account_id = $1 AND mesh_name = $2 AND kind = wanted.k AND parent_name = wanted.p AND name = wanted.n
                LIMIT 1) AS resources
            ORDER BY id
            """, account, mesh, kinds, parents, names);
    }

    /// <summary>How many results <see cref="Share"/> and <see cref="ForDelete"/> return before the rows they read.</summary>
    public const int LockResults = 1;

    /// <summary>The resource, locked against other writers of it (not against those that only depend on it).</summary>
    public static NpgsqlBatchCommand ForUpdate(string account, ResourceId id) => Own(account, id, "FOR NO KEY UPDATE");

    /// <summary>
    /// The resource, locked against everything including writers that depend on it: a delete's first step. The
    /// exclusive "depends on" lock comes first (one result), then the row FOR UPDATE (against its own writers).
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> ForDelete(string account, ResourceId id)
    {
        yield return WriteBatch.Statement(
            $"SELECT count(*) FROM (SELECT pg_advisory_xact_lock({AdvisoryClass}, {Key("$1", "$2", "$3", "$4", "$5")})) AS locked",
            account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name);
        yield return Own(account, id, "FOR UPDATE");
    }

    /// <summary>Like <see cref="ForUpdate"/>, by ARN, for the tag operations (which write through EF Core).</summary>
    public static Task<ResourceEntity?> ForUpdateAsync(MeshDbContext db, string account, string arn, CancellationToken ct) =>
        db.Resources.FromSql($"""
            SELECT * FROM resources WHERE arn = {arn} AND account_id = {account} FOR NO KEY UPDATE
            """).SingleOrDefaultAsync(ct);

    /// <summary>The advisory lock's second key: the identity hashed by PostgreSQL, the same for every API replica.</summary>
    private static string Key(string account, string mesh, string kind, string parent, string name) =>
        $"hashtext({account} || '/' || {mesh} || '/' || {kind} || '/' || {parent} || '/' || {name})";

    private static NpgsqlBatchCommand Own(string account, ResourceId id, string lockClause) =>
        WriteBatch.Statement($"""
            SELECT {ResourceRows.Columns} FROM resources
            WHERE account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4 AND name = $5
            {lockClause}
            """,
            account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name);
}
