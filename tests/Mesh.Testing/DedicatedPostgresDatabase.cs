using Xunit;

namespace Mesh.Testing;

/// <summary>
/// A migrated database on a server of its own, for test classes that stop or restart PostgreSQL
/// (<see cref="PostgresServer.RestartAsync"/>). Slower to start than <see cref="PostgresDatabase"/>: use only when needed.
/// </summary>
public sealed class DedicatedPostgresDatabase : IAsyncLifetime
{
    private string? _connectionString;
    private PostgresServer? _server;

    public string ConnectionString => _connectionString ?? throw NotInitialized();

    /// <summary>This fixture's own server: stopping or restarting it affects no other test class.</summary>
    public PostgresServer Server => _server ?? throw NotInitialized();

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartDedicatedAsync();
        _connectionString = await _server.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static InvalidOperationException NotInitialized()
        => new("DedicatedPostgresDatabase is used before xunit initialised it (use it as IClassFixture or call InitializeAsync).");
}
