using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// <c>cloud_map_operations</c> and <c>idempotency_records</c> get a B-tree index on <c>created_at</c>, the retention
    /// pruner's way to their old rows (<c>RetainedTable</c>). Without one, each round read the whole table in physical
    /// order to find them, every hour, whatever it deleted: a row was read about 24 times before it went (the day a
    /// clientToken is kept: millions of rows at a few dozen writes a second) and an operation about 2,000 times (90
    /// days). The index costs each write one entry, at the right edge of the tree (times grow), which is less.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Not a BRIN index, as <c>ix_audit_log_at</c> is (migration AuditTimeBrin), though rows are appended about in time
    /// order: a block range's summary only ever widens. These rows are deleted after their retention, and new ones fill
    /// the space a vacuum frees in old pages, so after one retention period every range would hold an old least time
    /// and match every cutoff, and the pruner would read the whole table again. An idempotency record is also taken
    /// over by an UPDATE that gives it a new <c>created_at</c> (<c>mesh_claim_token</c>, migration
    /// ClaimWithoutSpeculativeInsert), which stays where the old row was. A B-tree follows both. It makes that takeover
    /// (of a token reused after a day, rare) no longer a heap-only update; the other updates of these rows do not
    /// change <c>created_at</c>.
    /// </para>
    /// <para>
    /// The indexes are built in the migration's transaction, as other index migrations are: writes to the two tables
    /// wait for the build (seconds for millions of rows). An API of the previous version runs on this schema.
    /// </para>
    /// </remarks>
    public partial class RetentionTimeIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_cloud_map_operations_created_at",
                table: "cloud_map_operations",
                column: "created_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records");

            migrationBuilder.DropIndex(
                name: "ix_cloud_map_operations_created_at",
                table: "cloud_map_operations");
        }
    }
}
