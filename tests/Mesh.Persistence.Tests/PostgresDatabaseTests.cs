using Mesh.Testing;
using Npgsql;

namespace Mesh.Persistence.Tests;

public sealed class PostgresDatabaseTests
{
    [Fact]
    public async Task EachFixture_GetsItsOwnMigratedEmptyDatabase()
    {
        var first = new PostgresDatabase();
        var second = new PostgresDatabase();
        await first.InitializeAsync();
        await second.InitializeAsync();
        try
        {
            await ExecuteAsync(first.ConnectionString, "INSERT INTO settings (key, value) VALUES ('k', 'v')");

            Assert.NotEqual(first.ConnectionString, second.ConnectionString);
            Assert.Equal(1L, await ExecuteAsync(first.ConnectionString, "SELECT count(*) FROM settings"));
            Assert.Equal(0L, await ExecuteAsync(second.ConnectionString, "SELECT count(*) FROM settings"));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }

        await using var admin = new NpgsqlConnection(first.Server.ConnectionString);
        await admin.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin);
        exists.Parameters.AddWithValue("name", new NpgsqlConnectionStringBuilder(first.ConnectionString).Database!);
        Assert.Equal(0L, await exists.ExecuteScalarAsync());
    }

    private static async Task<object?> ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
