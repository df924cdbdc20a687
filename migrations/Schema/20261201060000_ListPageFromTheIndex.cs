using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// <c>ux_resources_identity</c> carries each row's uid and version (<c>INCLUDE</c>, issue14as), so the statements
    /// that read only those and the identity's columns are answered from the index: a list page of items the API keeps
    /// (<c>SELECT uid, version, name … ORDER BY name LIMIT n</c>, ResourceOperations' ListKeys) and a Describe's version
    /// read (<c>SELECT uid, version</c> by the identity, DataRow). Without them, each of a page's rows was a visit to
    /// its table page (about one page per row when a mesh's resources were written among other writes, 14am).
    /// <para>
    /// An index-only scan skips the table only for pages the visibility map marks all-visible: a write to a page clears
    /// its mark, and a vacuum sets it again; until then, the rows of that page are read from the table as before. So
    /// autovacuum visits resources sooner than its defaults would (vacuum once 20% of the rows changed, and an
    /// insert-only table once 1,000 + 20% rows were added, which a small installation may never reach): after 50 rows
    /// + 2% changed or added. Each visit reads only the pages written since the last (the rest are all-visible), and a
    /// table of resources is small (a row per resource), so the visits are cheap; the wait until the next one is at most
    /// autovacuum_naptime (a minute by default) once the rows changed.
    /// </para>
    /// <para>
    /// The uniqueness and the name the write path's refusals match on are the same. Recreated in the migration's
    /// transaction: writes to resources wait for it (a build over the existing rows).
    /// </para>
    /// </summary>
    public partial class ListPageFromTheIndex : Migration
    {
        private static readonly string[] Identity = ["account_id", "mesh_name", "kind", "parent_name", "name"];

        /// <summary>Autovacuum's triggers for resources: 50 rows + 2% changed (updated or deleted), or added.</summary>
        private const string Autovacuum = "autovacuum_vacuum_threshold = 50, autovacuum_vacuum_scale_factor = 0.02, "
            + "autovacuum_vacuum_insert_threshold = 50, autovacuum_vacuum_insert_scale_factor = 0.02";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ux_resources_identity", table: "resources");
            migrationBuilder.CreateIndex(name: "ux_resources_identity", table: "resources", columns: Identity, unique: true)
                .Annotation("Npgsql:IndexInclude", new[] { "uid", "version" });
            migrationBuilder.Sql($"ALTER TABLE resources SET ({Autovacuum})");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE resources RESET (autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor, "
                + "autovacuum_vacuum_insert_threshold, autovacuum_vacuum_insert_scale_factor)");
            migrationBuilder.DropIndex(name: "ux_resources_identity", table: "resources");
            migrationBuilder.CreateIndex(name: "ux_resources_identity", table: "resources", columns: Identity, unique: true);
        }
    }
}
