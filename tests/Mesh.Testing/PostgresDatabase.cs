using Xunit;

namespace Mesh.Testing;

/// <summary>
/// A fresh, migrated, empty database for one test class: <c>IClassFixture&lt;PostgresDatabase&gt;</c>.
/// All such databases live on the process-wide <see cref="PostgresServer.GetSharedAsync"/> server.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private string? _connectionString;
    private PostgresServer? _server;

    /// <summary>The connection string of this fixture's own database.</summary>
    public string ConnectionString => _connectionString ?? throw NotInitialized();

    /// <summary>The server the database lives on (shared with other test classes: do not stop it).</summary>
    public PostgresServer Server => _server ?? throw NotInitialized();

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetSharedAsync();
        _connectionString = await _server.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null && _connectionString is not null)
        {
            await _server.DropDatabaseAsync(_connectionString);
        }
    }

    private static InvalidOperationException NotInitialized()
        => new("PostgresDatabase is used before xunit initialised it (use it as IClassFixture or call InitializeAsync).");
}
