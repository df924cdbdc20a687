using Mesh.Api.Observability;
using Mesh.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Mesh.Api.Resources;

/// <summary>
/// A table the retention pruner (<see cref="RetentionPruner"/>) deletes old rows of: a batch per statement, each its
/// own transaction, so that a first prune of a big table never holds one long transaction or many locks. Each batch
/// locks its rows with <c>FOR UPDATE SKIP LOCKED</c>: two API replicas pruning at once take different rows, neither
/// waits for the other, and a row is deleted (and counted) once.
/// </summary>
internal abstract class RetainedTable(string name, string sql)
{
    /// <summary>The table's name, also its <c>table</c> label in <c>/metrics</c> (<see cref="RetentionTable"/>).</summary>
    public string Name => name;

    /// <summary>
    /// Deletes rows older than <paramref name="cutoff"/>, at most <paramref name="batchSize"/> per statement, until a
    /// batch finds no more; <paramref name="pruned"/> is told each batch's count once it committed.
    /// </summary>
    public abstract Task PruneAsync(NpgsqlConnection connection, DateTimeOffset cutoff, int batchSize, Action<int> pruned, CancellationToken ct);

    /// <summary>
    /// The statement each batch runs (its plan is a test's): it takes the cursor ($1), the batch size ($2) and the
    /// cutoff ($3), and answers how many rows it took, how many of them it deleted, and the cursor after them (null
    /// when it took none).
    /// </summary>
    internal string Sql => sql;

    public static readonly RetainedTable AuditLog = AppendedLog(RetentionTable.AuditLog, """
        WITH head AS (
            SELECT id, at FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM audit_log WHERE id = ANY (ARRAY(SELECT id FROM head WHERE at < $3)) RETURNING id
        )
        SELECT (SELECT count(*) FROM head)::int, (SELECT count(*) FROM gone)::int, (SELECT max(id) FROM head)
        """);

    /// <summary>
    /// The change log, under its contract with its followers (<see cref="ChangeLogRetention"/>): the newest row is never
    /// deleted, and the batch that deletes rows raises <see cref="ChangeLogRetention.PrunedThroughSetting"/> to the
    /// highest of them in its own transaction, so a follower never finds rows gone without finding the setting raised.
    /// </summary>
    public static readonly RetainedTable ChangeLog = AppendedLog(RetentionTable.ChangeLog, $"""
        WITH head AS (
            SELECT seq, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM changes
            WHERE seq = ANY (ARRAY(SELECT seq FROM head WHERE at < $3 AND seq < (SELECT max(seq) FROM changes)))
            RETURNING seq
        ), pruned_through AS (
            INSERT INTO settings (key, value)
            SELECT '{ChangeLogRetention.PrunedThroughSetting}', max(seq)::text FROM gone HAVING count(*) > 0
            ON CONFLICT (key) DO UPDATE SET value = greatest(settings.value::bigint, EXCLUDED.value::bigint)::text
        )
        SELECT (SELECT count(*) FROM head)::int, (SELECT count(*) FROM gone)::int, (SELECT max(seq) FROM head)
        """);

    public static readonly RetainedTable CloudMapOperations = ByTime(RetentionTable.CloudMapOperations);

    public static readonly RetainedTable IdempotencyRecords = ByTime(RetentionTable.IdempotencyRecords);

    /// <summary>
    /// A log appended in the order of its key (<c>audit_log</c> by <c>id</c>, <c>changes</c> by <c>seq</c>), whose time
    /// grows with the key (near enough: concurrent writers commit a little out of order). Each batch takes the next rows
    /// by key after the last batch's, through the primary key, and deletes those older than the cutoff; a round ends at
    /// the first batch that met a row it kept (what follows is newer) or the end. So a round reads the rows it deletes
    /// and one batch more, however long the table, and a row written out of order is kept until the rows before it go.
    /// </summary>
    private static BatchedTable<long> AppendedLog(string table, string sql) => new(table, sql, long.MinValue, endsAtAKeptRow: true);

    /// <summary>
    /// A table whose rows have no order in time by their key (<c>cloud_map_operations</c>, keyed by random ids, and
    /// <c>idempotency_records</c>, by client token), read through its B-tree on <c>created_at</c> (migration
    /// RetentionTimeIndexes), its name also its label. Each batch takes the oldest rows from the time the last one
    /// reached (rows of that same time it deleted are gone, so none is taken twice and none of a time split between
    /// batches is passed over), and a round ends at the first batch that is not full: it reads the rows it deletes and
    /// no others, however many newer rows the table holds. The first batch starts at -infinity (Npgsql's
    /// <see cref="DateTimeOffset.MinValue"/>), the oldest row.
    /// </summary>
    private static BatchedTable<DateTimeOffset> ByTime(string table) => new(table, $"""
        WITH doomed AS (
            SELECT ctid, created_at FROM {table} WHERE created_at >= $1 AND created_at < $3
            ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM {table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed)) RETURNING 1
        )
        SELECT (SELECT count(*) FROM doomed)::int, (SELECT count(*) FROM gone)::int, (SELECT max(created_at) FROM doomed)
        """, DateTimeOffset.MinValue, endsAtAKeptRow: false);

    /// <summary>
    /// Runs <see cref="Sql"/> batch after batch from <paramref name="start"/>, each batch on from the cursor the last
    /// one answered, until a batch is not full, answers no cursor, or (<paramref name="endsAtAKeptRow"/>) took a row it
    /// kept.
    /// </summary>
    private sealed class BatchedTable<T>(string name, string sql, T start, bool endsAtAKeptRow) : RetainedTable(name, sql)
        where T : struct
    {
        public override async Task PruneAsync(NpgsqlConnection connection, DateTimeOffset cutoff, int batchSize, Action<int> pruned, CancellationToken ct)
        {
            var after = start;
            while (true)
            {
                var (taken, deleted, next) = await BatchAsync(connection, after, batchSize, cutoff, ct);
                if (deleted > 0)
                {
                    pruned(deleted);
                }

                if (taken < batchSize || (endsAtAKeptRow && deleted < taken) || next is not { } last)
                {
                    return;
                }

                after = last;
            }
        }

        private async Task<(int Taken, int Deleted, T? Next)> BatchAsync(
            NpgsqlConnection connection, T after, int batchSize, DateTimeOffset cutoff, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand(Sql, connection)
            {
                Parameters =
                {
                    new NpgsqlParameter<T> { TypedValue = after, NpgsqlDbType = after is DateTimeOffset ? NpgsqlDbType.TimestampTz : NpgsqlDbType.Bigint },
                    new NpgsqlParameter<int> { TypedValue = batchSize },
                    new NpgsqlParameter<DateTimeOffset> { TypedValue = cutoff },
                },
            };
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return (reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<T>(2));
        }
    }
}
