using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// ANALYZE no longer keeps statistics of the columns of the write logs (<c>changes</c>, <c>audit_log</c>,
    /// <c>idempotency_records</c>) that no statement filters, joins or sorts by (issue14ax), as migration
    /// NoStatisticsOfSpecAndTags did for <c>resources.spec</c> and <c>resources.tags</c>. Every write appends a row to
    /// <c>changes</c> and <c>audit_log</c> and most write one to <c>idempotency_records</c>, so autovacuum analyzes each
    /// of them every time a tenth of its rows was added; each ANALYZE sorted its sample of every text column to find
    /// its most common values and histogram (6.7–7.6% of PostgreSQL's samples under the API's creates and deletes, in
    /// the windows that held one, issue14av).
    /// </summary>
    /// <remarks>
    /// <para>
    /// What each table is read by, and so which columns keep their statistics:
    /// <list type="bullet">
    /// <item><c>changes</c>: the change feed reads it by <c>seq</c> (after a watermark, in order; its highest; those in
    /// a window); nothing else reads it. Only <c>seq</c> keeps them.</item>
    /// <item><c>audit_log</c>: the console lists an account's records by <c>id</c> (newest first), <c>Mesh.Api audit</c>
    /// a time range by <c>at</c> and <c>account_id</c> in <c>at</c>, <c>id</c> order, and the amendment of a refused
    /// call's message finds its record by <c>at</c> and <c>request_id</c>. <c>id</c>, <c>at</c>, <c>account_id</c> and
    /// <c>request_id</c> keep them.</item>
    /// <item><c>idempotency_records</c>: the claim finds a record by its key (<c>account_id</c>, <c>client_token</c>)
    /// and takes one over by its key and <c>created_at</c>; the pruner deletes by <c>created_at</c>. Those three keep
    /// them; what the claim compares (<c>operation</c>, <c>request_hash</c>) it compares in PL/pgSQL, after the read.</item>
    /// </list>
    /// </para>
    /// <para>
    /// A statistics target of 0 makes ANALYZE skip the column: its null fraction, width and distinct values are no
    /// longer estimated, which only a condition on it would read. A sort of whole rows (the audit log's listing) takes
    /// the skipped columns' widths from their types instead; it has one way to sort either way. Statistics an earlier
    /// ANALYZE left stay until cleared; no plan reads them either.
    /// </para>
    /// </remarks>
    public partial class NoStatisticsOfLogColumns : Migration
    {
        /// <summary>The columns whose statistics no plan reads, by table.</summary>
        public static readonly IReadOnlyList<(string Table, string[] Columns)> Unread =
        [
            ("changes", ["account_id", "mesh_name", "kind", "parent_name", "name", "version", "operation", "at"]),
            ("audit_log", ["access_key_id", "action", "resource_arn", "status_code", "error_code", "message", "source_address"]),
            ("idempotency_records", ["operation", "request_hash", "response", "uid", "version", "resource_created_at"]),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Targets(0));

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Targets(-1));

        private static string Targets(int target) => string.Join("\n", Unread.Select(t =>
            $"ALTER TABLE {t.Table} {string.Join(", ", t.Columns.Select(c => $"ALTER COLUMN {c} SET STATISTICS {target}"))};"));
    }
}
