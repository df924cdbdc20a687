using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// ANALYZE no longer keeps statistics of <c>audit_log.request_id</c> (issue14az), the last of the write logs' columns
    /// that NoStatisticsOfLogColumns kept only because a statement reads it. A unique 36-character text in every row,
    /// it was about three quarters of what an ANALYZE of <c>audit_log</c> still ran (185 M of 249 M instructions at 40,000
    /// rows, issue14ax), and autovacuum analyzes the table each time a tenth of its rows was added: every write adds one.
    /// </summary>
    /// <remarks>
    /// Its one reader is the amendment of a refused call's message (<c>UPDATE audit_log … WHERE at BETWEEN … AND
    /// request_id = …</c>, the API's AuditLog). No index holds <c>request_id</c>, so its condition is a filter on
    /// whichever scan the <c>at</c> range picks (the BRIN index on <c>at</c>, or the table), the same filter on each:
    /// its estimate scales the rows each path returns alike and changes no path's cost, so it cannot change which is
    /// chosen, and nothing above the scan (an UPDATE of the rows found) has another choice to make. Without
    /// statistics the estimate is PostgreSQL's default for an equality (1/200 of the rows instead of 1/n): at 40,000
    /// rows the plans and their costs are the same, for the API's ±1 ms window (the BRIN index) as for a wide one (the
    /// table), literal or generic (docs/benchmarks.md, issue14az, EXPLAIN). An index on the column would want its
    /// statistics back; the down puts the default target back.
    /// </remarks>
    public partial class NoStatisticsOfAuditRequestId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE audit_log ALTER COLUMN request_id SET STATISTICS 0;");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE audit_log ALTER COLUMN request_id SET STATISTICS -1;");
    }
}
