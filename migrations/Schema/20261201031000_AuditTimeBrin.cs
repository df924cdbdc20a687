using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// <c>ix_audit_log_at</c> becomes a BRIN index (issue14aj). Every write's audit record added an entry to a B-tree on
    /// its time (64 B of WAL and one WAL record per write, issue14af). Records are appended about in time order (each
    /// one's time is taken as its call is written), so a BRIN index, which keeps each block range's least and greatest
    /// time, narrows a time range to the block ranges written then, and a record that lands in a range not yet
    /// summarised, as the newest is, writes nothing to it. <c>autosummarize</c> has autovacuum summarise a range once
    /// the next one begins. Concurrent writers and the free space a vacuum finds put some records in earlier pages, which
    /// widens those ranges: a query reads the ranges its times fall in, whole (32 pages each), and sorts.
    /// <para>
    /// Its readers: the audit listing by time (<c>AuditLog.ListAsync</c>, the <c>audit</c> command: a range, sorted by
    /// time) and the amendment of an abandoned write's record (a time within a millisecond, and the request id). The
    /// console's newest-first view reads by <c>id</c> (the primary key), as before.
    /// </para>
    /// </summary>
    public partial class AuditTimeBrin : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ix_audit_log_at", table: "audit_log");
            migrationBuilder.CreateIndex(name: "ix_audit_log_at", table: "audit_log", column: "at")
                .Annotation("Npgsql:IndexMethod", "brin")
                .Annotation("Npgsql:StorageParameter:autosummarize", true)
                .Annotation("Npgsql:StorageParameter:pages_per_range", 32);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ix_audit_log_at", table: "audit_log");
            migrationBuilder.CreateIndex(name: "ix_audit_log_at", table: "audit_log", column: "at");
        }
    }
}
