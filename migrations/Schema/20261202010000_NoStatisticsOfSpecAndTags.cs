using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// ANALYZE no longer keeps statistics of <c>resources.spec</c> and <c>resources.tags</c> (issue14av). No statement
    /// filters, joins or sorts resources by either column (a write reads a route's router's spec by the row's
    /// identity, and every read finds its rows by identity or by the refs index), so no plan uses their statistics; but
    /// autovacuum's ANALYZE of the table, which the writes trigger every time a tenth of its rows changed, sorted its
    /// sample of up to 30,000 specs with jsonb's comparison to find their most common values and histogram: in a
    /// profile of PostgreSQL under the API's deletes, 10% of all its samples were that sort (<c>compareJsonbContainers</c>
    /// under <c>analyze_rel</c>), and 3% under its creates.
    /// </summary>
    /// <remarks>
    /// A statistics target of 0 makes ANALYZE skip the column: its null fraction, width and distinct values are no longer
    /// estimated, which only a condition on the column would read. The table's other columns, whose statistics the
    /// planner does use (the identity columns, <c>refs</c> for the refs index's predicate), keep the default target.
    /// Statistics an earlier ANALYZE left stay until the column's are next cleared; no plan reads them either.
    /// </remarks>
    public partial class NoStatisticsOfSpecAndTags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE resources ALTER COLUMN spec SET STATISTICS 0, ALTER COLUMN tags SET STATISTICS 0;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE resources ALTER COLUMN spec SET STATISTICS -1, ALTER COLUMN tags SET STATISTICS -1;");
        }
    }
}
