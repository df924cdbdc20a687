using Npgsql;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Where the change feed's LISTEN connection comes from: a data source of its own, without a pool, so that a LISTEN
/// never reaches the server's pool. When the feed lets a connection go (it stops, or reconnects after a failed
/// catch-up while that connection was still fine), the connection is closed and its backend ends with its LISTEN. From
/// the server's pool it went back still listening, and only the pool's reset (<c>UNLISTEN *</c>, among the statements
/// sent on every later open of it) kept that backend from queueing every NOTIFY for nobody to read; the pool no
/// longer resets (<see cref="Persistence.PoolReset"/>). The feed opens one at start and on each reconnect, and holds
/// it while it follows, so a pool would save nothing here.
/// </summary>
public sealed class ListenConnections(string connectionString) : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(Unpooled(connectionString));

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => _source.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// The operator's connection string (host, credentials, TLS, keepalive, application name), with pooling off. A
    /// LISTEN needs a physical connection of its own, which multiplexing (a pooled mode) does not give, so it is off too
    /// whatever the operator wrote.
    /// </summary>
    public static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Multiplexing = false }.ConnectionString;

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    public void Dispose() => _source.Dispose();
}
