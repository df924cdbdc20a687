using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The write connections' pool: one Npgsql data source that EF Core's contexts (tags, Cloud Map, keys, a miss's
/// look-ups) are configured with too, so that the resource writes, which take their connections from it directly
/// (<see cref="WriteTransactions"/>), and EF Core share one pool and one connection limit.
/// </summary>
/// <remarks>
/// A resource write is one batch on one connection in one transaction (<see cref="WriteBatch"/>). Through a pooled
/// EF Core context it also leased and reset the context, opened the connection and began the transaction through EF
/// Core's connection, execution strategy and diagnostics: 4.7% of the API's samples in Create and Update cells at 32
/// clients (issue14u's profile), for a connection and a BEGIN that Npgsql gives directly.
/// </remarks>
public sealed class WriteDatabase(NpgsqlDataSource source) : IAsyncDisposable
{
    public NpgsqlDataSource Source => source;

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct) => source.OpenConnectionAsync(ct);

    public ValueTask DisposeAsync() => source.DisposeAsync();
}
