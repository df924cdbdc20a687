using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The statements of one write, sent to PostgreSQL in as few round trips as the write's logic allows: what must
/// be known before deciding (the clientToken's claim, the locks on what the write depends on, the quota) goes in
/// one <see cref="NpgsqlBatch"/> (<see cref="SendAsync"/>); what the write then changes is queued with
/// <see cref="Queue"/> and sent by <see cref="WriteTransactions"/> together with the audit record and the COMMIT.
/// A resource write therefore takes two round trips; BEGIN travels with the first batch (Npgsql prepends it).
/// </summary>
/// <remarks>
/// Statements of a batch run one after the other, each with a new snapshot (READ COMMITTED), so a statement
/// after a lock sees what the lock waited for. When one fails, PostgreSQL skips the rest of the batch (the COMMIT
/// too), and the transaction is rolled back when it is disposed.
/// </remarks>
public sealed class WriteBatch(MeshDbContext db)
{
    private readonly List<NpgsqlBatchCommand> queued = [];
    private readonly List<NpgsqlBatchCommand> atCommit = [];
    private bool notifyAfterCommit;

    /// <summary>The write's context: its connection and transaction, for the rare paths that read through EF Core.</summary>
    public MeshDbContext Db { get; } = db;

    /// <summary>How many batches (round trips) this write has sent so far, for tests and the commit's own count.</summary>
    public int RoundTrips { get; private set; }

    public bool HasQueued => queued.Count > 0 || atCommit.Count > 0;

    /// <summary>A statement with positional parameters ($1, $2, ...).</summary>
    public static NpgsqlBatchCommand Statement(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>
    /// Queues the change-feed row's insert; the followers are notified right after the COMMIT rather than by the
    /// trigger inside the transaction, which would make concurrent writes commit one at a time.
    /// </summary>
    public void QueueChange(string sql, params object[] values)
    {
        if (!notifyAfterCommit)
        {
            queued.Add(Statement($"SELECT set_config('{ChangeFeed.NotifyAfterCommitSetting}', 'on', true)"));
            notifyAfterCommit = true;
        }

        Queue(sql, values);
    }

    /// <summary>Queues a statement to be sent with the commit.</summary>
    public void Queue(string sql, params object[] values) => queued.Add(Statement(sql, values));

    /// <summary>
    /// Queues a statement to run last, after the audit record and right before COMMIT: for a lock that writes in the
    /// same scope wait for (a quota shard), so that it is held only for the commit itself, never across the API's
    /// turn between round trips or the write's other statements.
    /// </summary>
    public void QueueAtCommit(string sql, params object[] values) => atCommit.Add(Statement(sql, values));

    /// <summary>
    /// Sends <paramref name="statements"/> in one round trip, in the write's transaction, and reads their rows: one
    /// result per statement that returns rows (a SELECT, or a RETURNING clause, even when it returns none), in
    /// order; a statement that returns no rows (SAVEPOINT, a plain INSERT) has no result (Npgsql skips it).
    /// </summary>
    public async Task<IReadOnlyList<BatchResult>> SendAsync(IReadOnlyList<NpgsqlBatchCommand> statements, CancellationToken ct)
    {
        await using var batch = NewBatch();
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        var results = new List<BatchResult>(statements.Count);
        RoundTrips++;
        await using var reader = await batch.ExecuteReaderAsync(ct);
        do
        {
            var rows = new List<object?[]>();
            while (await reader.ReadAsync(ct))
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            results.Add(new BatchResult(rows));
        }
        while (await reader.NextResultAsync(ct));

        return results;
    }

    /// <summary>Sends what was queued, then <paramref name="last"/> (the audit record) and COMMIT, in one round trip.</summary>
    internal async Task CommitAsync(NpgsqlBatchCommand last, CancellationToken ct)
    {
        await using var batch = NewBatch();
        foreach (var statement in queued)
        {
            batch.BatchCommands.Add(statement);
        }

        batch.BatchCommands.Add(last);
        foreach (var statement in atCommit)
        {
            batch.BatchCommands.Add(statement);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        if (notifyAfterCommit)
        {
            // After COMMIT, so in a transaction of its own with nothing to flush: see the NotifyAfterCommit migration.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {ChangeFeed.Channel}"));
        }
        RoundTrips++;
        await batch.ExecuteNonQueryAsync(ct);
        queued.Clear();
        atCommit.Clear();
    }

    private NpgsqlBatch NewBatch()
    {
        var connection = (NpgsqlConnection)Db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)Db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A write batch runs only inside a write transaction.");
        return new NpgsqlBatch(connection, transaction);
    }
}

/// <summary>The rows one statement of a batch returned (none for a statement that returns no rows).</summary>
public sealed record BatchResult(IReadOnlyList<object?[]> Rows)
{
    public object? Single => Rows.Count == 0 ? null : Rows[0][0];
}
