using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The row locks that keep App Mesh's rules true under READ COMMITTED (see <see cref="WriteTransactions"/>):
/// a write locks FOR KEY SHARE what it depends on (its mesh, its parent, what its spec names), so those rows
/// cannot be deleted until it commits; a delete locks its row FOR UPDATE before it looks for dependents, so it
/// waits for every writer that depends on the row and then sees what they wrote. The locks are statements a
/// write sends in its first batch (<see cref="WriteBatch"/>); each returns the locked rows in
/// <see cref="ResourceRows.Columns"/>.
/// </summary>
public static class ResourceLocks
{
    /// <summary>Locks the rows that exist among <paramref name="ids"/> (all in one mesh) FOR KEY SHARE, and returns them.</summary>
    public static NpgsqlBatchCommand Share(string account, string mesh, IReadOnlyCollection<ResourceId> ids) =>
        WriteBatch.Statement($"""
            SELECT {ResourceRows.Columns} FROM resources
            WHERE account_id = $1 AND mesh_name = $2
              AND (kind, parent_name, name) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]))
            ORDER BY id
            FOR KEY SHARE
            """,
            account, mesh,
            ids.Select(i => i.Kind.WireName).ToArray(), ids.Select(i => i.ParentName).ToArray(), ids.Select(i => i.Name).ToArray());

    /// <summary>The resource, locked against other writers of it (not against those that only depend on it).</summary>
    public static NpgsqlBatchCommand ForUpdate(string account, ResourceId id) => Own(account, id, "FOR NO KEY UPDATE");

    /// <summary>The resource, locked against everything including writers that depend on it: a delete's first step.</summary>
    public static NpgsqlBatchCommand ForDelete(string account, ResourceId id) => Own(account, id, "FOR UPDATE");

    /// <summary>Like <see cref="ForUpdate"/>, by ARN, for the tag operations (which write through EF Core).</summary>
    public static Task<ResourceEntity?> ForUpdateAsync(MeshDbContext db, string account, string arn, CancellationToken ct) =>
        db.Resources.FromSql($"""
            SELECT * FROM resources WHERE arn = {arn} AND account_id = {account} FOR NO KEY UPDATE
            """).SingleOrDefaultAsync(ct);

    private static NpgsqlBatchCommand Own(string account, ResourceId id, string lockClause) =>
        WriteBatch.Statement($"""
            SELECT {ResourceRows.Columns} FROM resources
            WHERE account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4 AND name = $5
            {lockClause}
            """,
            account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name);
}
