using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// The row locks that keep App Mesh's rules true under READ COMMITTED (see <see cref="WriteTransactions"/>):
/// a write locks FOR KEY SHARE what it depends on (its mesh, its parent, what its spec names), so those rows
/// cannot be deleted until it commits; a delete locks its row FOR UPDATE before it looks for dependents, so it
/// waits for every writer that depends on the row and then sees what they wrote.
/// </summary>
public static class ResourceLocks
{
    /// <summary>Locks the rows that exist among <paramref name="ids"/> (all in one mesh) FOR KEY SHARE, and returns them.</summary>
    public static async Task<IReadOnlyList<ResourceEntity>> ShareAsync(MeshDbContext db, string account, string mesh, IReadOnlyCollection<ResourceId> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var kinds = ids.Select(i => i.Kind.WireName).ToArray();
        var parents = ids.Select(i => i.ParentName).ToArray();
        var names = ids.Select(i => i.Name).ToArray();
        return await db.Resources.FromSql($"""
            SELECT * FROM resources
            WHERE account_id = {account} AND mesh_name = {mesh}
              AND (kind, parent_name, name) IN (SELECT * FROM unnest({kinds}::text[], {parents}::text[], {names}::text[]))
            ORDER BY id
            FOR KEY SHARE
            """).AsNoTracking().ToListAsync(ct);
    }

    /// <summary>The resource, locked against other writers of it (not against those that only depend on it), or null.</summary>
    public static Task<ResourceEntity?> ForUpdateAsync(MeshDbContext db, string account, ResourceId id, CancellationToken ct) =>
        db.Resources.FromSql($"""
            SELECT * FROM resources
            WHERE account_id = {account} AND mesh_name = {id.MeshName} AND kind = {id.Kind.WireName}
              AND parent_name = {id.ParentName} AND name = {id.Name}
            FOR NO KEY UPDATE
            """).SingleOrDefaultAsync(ct);

    /// <summary>Like <see cref="ForUpdateAsync"/>, by ARN.</summary>
    public static Task<ResourceEntity?> ForUpdateAsync(MeshDbContext db, string account, string arn, CancellationToken ct) =>
        db.Resources.FromSql($"""
            SELECT * FROM resources WHERE arn = {arn} AND account_id = {account} FOR NO KEY UPDATE
            """).SingleOrDefaultAsync(ct);

    /// <summary>The resource, locked against everything including writers that depend on it, or null: a delete's first step.</summary>
    public static Task<ResourceEntity?> ForDeleteAsync(MeshDbContext db, string account, ResourceId id, CancellationToken ct) =>
        db.Resources.FromSql($"""
            SELECT * FROM resources
            WHERE account_id = {account} AND mesh_name = {id.MeshName} AND kind = {id.Kind.WireName}
              AND parent_name = {id.ParentName} AND name = {id.Name}
            FOR UPDATE
            """).SingleOrDefaultAsync(ct);
}
