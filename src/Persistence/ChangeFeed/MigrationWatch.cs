// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// The last migration applied to the database, as a follower of the change log last read it. A migration may rewrite
/// rows without writing change-log rows (a backfill, a column's new values), so a follower that keeps what it derived
/// from rows (the xDS server's meshes, the API's kept Describe answers) cannot trust it once a migration it has not
/// seen is applied: <see cref="IsNew"/> says so, and the follower reads everything again. The one check both followers
/// use. Not thread-safe: one reader at a time.
/// </summary>
public sealed class MigrationWatch
{
    /// <summary>
    /// The last migration applied, or null: EF Core's history table, which <c>Mesh.Migrations</c> writes as each
    /// migration's last step, so a reader that sees a migration's row also sees what it rewrote. One scalar, so it
    /// also serves as a subquery of a statement that reads something else.
    /// </summary>
    public const string LastMigrationSql = """SELECT max("MigrationId") FROM "__EFMigrationsHistory" """;

    private bool read;
    private string? last;

    /// <summary>
    /// Notes <paramref name="migration"/> (what <see cref="LastMigrationSql"/> returned): true when it is not the one
    /// noted before, so what was derived before may be stale; false the first time (nothing was derived before it).
    /// </summary>
    public bool IsNew(string? migration)
    {
        var isNew = read && !string.Equals(migration, last, StringComparison.Ordinal);
        read = true;
        last = migration;
        return isNew;
    }
}
