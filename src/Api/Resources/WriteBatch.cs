using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// A resource write sent to PostgreSQL in one round trip: the write itself (one call of a write function of migration
/// <c>WriteFunctions</c>, which claims the clientToken, locks and checks what the write needs, writes and counts the
/// quota; the same statement inserts the call's audit record, <see cref="WriteTransactions.Audited"/>) and COMMIT.
/// BEGIN travels with it (Npgsql prepends it). The API decides nothing between statements: what it would have decided
/// is in the function, which answers with a row (the stored answer of a replay, or what the answer needs of the row)
/// or fails with an error the API words (<see cref="WriteRefusals"/>).
/// </summary>
/// <remarks>
/// Statements of a batch run one after the other. When one fails, PostgreSQL skips the rest of the batch (the COMMIT
/// too), and the transaction is rolled back when it is disposed. The change feed's NOTIFY is not in the batch: the
/// function tells the changes table's trigger to leave it out (see the NotifyAfterCommit migration), and the caller
/// signals <see cref="ChangeNotifier"/> once the batch has answered, which sends one NOTIFY for all the writes that
/// committed meanwhile.
/// </remarks>
public static class WriteBatch
{
    /// <summary>
    /// Sends <paramref name="write"/> and COMMIT in one round trip, and returns the first row <paramref name="write"/>
    /// returned (null if none). Once the batch has succeeded, its parameters are kept for the next call
    /// (<see cref="WriteStatement"/>).
    /// </summary>
    internal static async Task<object?[]?> CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        WriteParameters write, CancellationToken ct)
    {
        var row = await CommitAsync(connection, transaction, write.Command(), ct);
        write.Release();
        return row;
    }

    private static async Task<object?[]?> CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        NpgsqlBatchCommand write, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { write, new NpgsqlBatchCommand("COMMIT") },
        };

        object?[]? row = null;
        await using var reader = await batch.ExecuteReaderAsync(ct);
        // The first result is the write's. Every result is read to the end, so that an error of a later statement (the
        // COMMIT) is seen here.
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

        return row;
    }
}
