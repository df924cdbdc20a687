using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Where Describe and List read: an Npgsql data source of their own, outside EF Core and outside any transaction.
/// With <see cref="MeshApiOptions.ReadMultiplexing"/> (<see cref="ApiConnectionString.ForReads"/>) concurrent reads
/// share a few connections: Npgsql writes the commands that are waiting together in one send and reads their results
/// in one pass, instead of a connection (and a wake-up of the API and of a PostgreSQL backend) per call.
/// Multiplexing serves statements that need no connection state, which these reads are: each statement stands on its
/// own (a Describe's second statement, on a miss, does not rely on the first's connection), no transaction, no session
/// setting. Writes keep their own connections (the write pool, <see cref="WriteDatabase"/>).
/// </summary>
public sealed class ReadDatabase(NpgsqlDataSource source) : IAsyncDisposable
{
    /// <summary>
    /// A command on the read source: executing it takes a connection (or, multiplexed, a place in the next send) and
    /// disposing its reader gives it back; nothing is held between calls.
    /// </summary>
    public NpgsqlCommand Command(string sql) => source.CreateCommand(sql);

    public ValueTask DisposeAsync() => source.DisposeAsync();
}
