using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// Writes move from SERIALIZABLE-with-retries to READ COMMITTED with row locks: <c>resource_counts</c> holds
    /// each quota scope's count (meshes per account under mesh_name ''), split over shards, filled here from the
    /// rows that exist (into shard 0). The audit log also records calls refused before they ran, with the reason
    /// and the source address.
    /// </summary>
    public partial class WriteConcurrencyAndRefusedCallAudit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "message",
                table: "audit_log",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "source_address",
                table: "audit_log",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "resource_counts",
                columns: table => new
                {
                    account_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    mesh_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false, collation: "C"),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    parent_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false, collation: "C"),
                    shard = table.Column<short>(type: "smallint", nullable: false),
                    count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resource_counts", x => new { x.account_id, x.mesh_name, x.kind, x.parent_name, x.shard });
                });

            migrationBuilder.Sql("""
                INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
                SELECT account_id, CASE WHEN kind = 'mesh' THEN '' ELSE mesh_name END, kind, parent_name, 0, count(*)
                FROM resources
                GROUP BY account_id, CASE WHEN kind = 'mesh' THEN '' ELSE mesh_name END, kind, parent_name;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "resource_counts");

            migrationBuilder.DropColumn(
                name: "message",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "source_address",
                table: "audit_log");
        }
    }
}
