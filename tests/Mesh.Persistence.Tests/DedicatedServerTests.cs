using Mesh.Testing;
using Npgsql;

namespace Mesh.Persistence.Tests;

public sealed class DedicatedServerTests(DedicatedPostgresDatabase database) : IClassFixture<DedicatedPostgresDatabase>
{
    [Fact]
    public async Task Restart_KeepsDataAndConnectionString()
    {
        await ExecuteAsync("CREATE TABLE survives (id int); INSERT INTO survives VALUES (7);");

        await database.Server.RestartAsync();
        NpgsqlConnection.ClearAllPools();

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM survives", connection);
        Assert.Equal(7, await command.ExecuteScalarAsync());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
