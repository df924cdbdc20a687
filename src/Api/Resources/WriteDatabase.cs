using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The write connections: one Npgsql data source that EF Core's contexts (tags, Cloud Map, keys, a miss's look-ups) are
/// configured with, and the one the resource writes' statements are sent on (<see cref="Statements"/>), which is the
/// same pool unless the statements are multiplexed (<see cref="MeshApiOptions.WriteMultiplexing"/>).
/// </summary>
/// <remarks>
/// <para>
/// A resource write is one statement in a transaction of its own (<see cref="WriteBatch"/>), taken straight from a pool:
/// through a pooled EF Core context it also leased and reset the context, opened the connection and began the
/// transaction through EF Core's connection, execution strategy and diagnostics: 4.7% of the API's samples in Create and
/// Update cells at 32 clients (issue14u), for a connection and a BEGIN that Npgsql gives directly.
/// </para>
/// <para>
/// Such a statement needs no connection state (no transaction block, no session setting of its own: its isolation is
/// the session's, set at connect by <see cref="ApiConnectionString.ForWrites"/>), which is what multiplexing serves:
/// concurrent writes share a few connections, Npgsql sends the statements waiting at that moment together, each with
/// its own Sync, and a backend runs them one after the other, each committed or rolled back alone. EF Core's
/// transactions hold their connection between statements, so they stay on <see cref="Source"/>, never multiplexed.
/// </para>
/// </remarks>
public sealed class WriteDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource statements;

    public WriteDatabase(NpgsqlDataSource source, NpgsqlDataSource statements)
    {
        Source = source;
        this.statements = statements;
        Multiplexed = new NpgsqlConnectionStringBuilder(statements.ConnectionString).Multiplexing;
    }

    /// <summary>
    /// The writes' data sources from the API's tuned connection string: EF Core's, and the statements', multiplexed as
    /// <paramref name="multiplexing"/> says unless <c>Multiplexing</c> is written in the connection string (one pool for
    /// both when the two would be the same).
    /// </summary>
    public static WriteDatabase Create(string tuned, bool multiplexing)
    {
        var writes = ApiConnectionString.ForWrites(tuned);
        var source = NpgsqlDataSource.Create(writes);
        var statements = ApiConnectionString.ForWriteStatements(tuned, multiplexing);
        return new WriteDatabase(source, new NpgsqlConnectionStringBuilder(statements).Multiplexing == new NpgsqlConnectionStringBuilder(writes).Multiplexing
            ? source
            : NpgsqlDataSource.Create(statements));
    }

    /// <summary>EF Core's pool: transactions, and anything else that holds its connection between statements.</summary>
    public NpgsqlDataSource Source { get; }

    /// <summary>Where the resource writes' statements are sent (<see cref="CommitAsync"/>).</summary>
    public NpgsqlDataSource Statements => statements;

    /// <summary>Whether <see cref="Statements"/> multiplexes.</summary>
    public bool Multiplexed { get; }

    /// <summary>
    /// Sends <paramref name="write"/> in a transaction of its own (<see cref="WriteBatch"/>) on <see cref="Statements"/>,
    /// and returns its first row once it has committed.
    /// </summary>
    /// <remarks>
    /// Unmultiplexed, <paramref name="ct"/> cancels the statement in PostgreSQL (Npgsql's cancel request; the statement
    /// fails and is rolled back, or it had committed already). Multiplexed, Npgsql does not send a cancel request, and a
    /// token that fired while the statement was on its way could end the call before its answer was read, although
    /// PostgreSQL commits it at its Sync regardless. So once the statement can be sent it is not given the token: the
    /// task ends when PostgreSQL has answered, committed or refused, and that is what an abandoned write reports
    /// (<see cref="DeadlineRace"/>, <see cref="WriteTransactions"/>). The token still stops a write that has not been
    /// handed to Npgsql yet (then nothing was sent).
    /// </remarks>
    internal async Task<object?[]?> CommitAsync(WriteParameters write, CancellationToken ct)
    {
        await using var connection = await statements.OpenConnectionAsync(ct);
        return await WriteBatch.CommitAsync(connection, write, Multiplexed ? CancellationToken.None : ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(statements, Source))
        {
            await statements.DisposeAsync();
        }

        await Source.DisposeAsync();
    }
}
