using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// A resource write sent to PostgreSQL in one round trip as one statement: one call of a write function of migration
/// <c>WriteFunctions</c> (which claims the clientToken, locks and checks what the write needs, writes and counts the
/// quota), whose statement also inserts the call's audit record (<see cref="WriteTransactions.Audited"/>). It is sent
/// without BEGIN and COMMIT: PostgreSQL runs a statement sent outside a transaction block as a transaction of its own,
/// committed when the statement has ended (at the batch's Sync), or rolled back whole if it fails. The API decides
/// nothing between statements: what it would have decided is in the function, which answers with a row (the replayed
/// request's record, or what the answer needs of the row) or fails with an error the API words
/// (<see cref="WriteRefusals"/>).
/// </summary>
/// <remarks>
/// <para>
/// The isolation level is the session's default, which the writes' connections set to READ COMMITTED when they
/// connect (<see cref="ApiConnectionString.ForWrites"/>), as the BEGIN that Npgsql sent before named it (issue14ap).
/// </para>
/// <para>
/// A failed write leaves nothing to roll back on the connection: PostgreSQL ended its transaction at the Sync, so the
/// connection goes back to the pool idle (before, a failed batch left its explicit transaction open, and disposing it
/// sent a ROLLBACK: one more round trip for every refusal). A write whose caller stopped waiting (<see cref="DeadlineRace"/>)
/// is cancelled or commits as before: the commit is decided by the server once it has the whole batch.
/// </para>
/// <para>
/// The change feed's NOTIFY is not in the statement: the function tells the changes table's trigger to leave it out
/// (see the NotifyAfterCommit migration), and the caller signals <see cref="ChangeNotifier"/> once the batch has
/// answered, which sends one NOTIFY for all the writes that committed meanwhile.
/// </para>
/// </remarks>
public static class WriteBatch
{
    /// <summary>
    /// Sends <paramref name="write"/> in its own transaction, and returns the first row it returned (null if none), once
    /// it has committed. Once the batch has succeeded, its parameters are kept for the next call (<see cref="WriteStatement"/>).
    /// </summary>
    /// <remarks>
    /// One async method from the batch to its last result: each async method between Npgsql and the endpoint that
    /// waits allocates its state machine's box and runs its continuation when the write answers (issue14aw).
    /// </remarks>
    internal static async Task<object?[]?> CommitAsync(NpgsqlConnection connection, WriteParameters write, CancellationToken ct)
    {
        object?[]? row = null;
        await using (var batch = new NpgsqlBatch(connection) { BatchCommands = { write.Command() } })
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            // Read to the end, to the server's ReadyForQuery: an error of the statement's end or of its commit is seen here.
            do
            {
                while (await reader.ReadAsync(ct))
                {
                    if (row is null)
                    {
                        row = new object?[reader.FieldCount];
                        for (var i = 0; i < row.Length; i++)
                        {
                            row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                        }
                    }
                }
            }
            while (await reader.NextResultAsync(ct));
        }

        // The reader and the batch are done with the parameters.
        write.Release();
        return row;
    }
}
