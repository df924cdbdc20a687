using System.Diagnostics;
using Mesh.Testing;
using Npgsql;

namespace Mesh.Persistence.Tests;

/// <summary>The explicit migration step as run.sh and docker-compose run it: a process, not a library call.</summary>
public sealed class MigrationCommandTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Command_AppliesPendingMigrations_ThenReportsUpToDate()
    {
        var connectionString = await CreateEmptyDatabaseAsync();
        try
        {
            var first = await RunAsync(["--connection", connectionString], environment: null);
            var second = await RunAsync([], environment: connectionString);

            Assert.Equal(0, first.ExitCode);
            Assert.Contains("migrations: applied ", first.Output, StringComparison.Ordinal);
            Assert.Contains("_InitialCreate", first.Output, StringComparison.Ordinal);
            Assert.Equal(0, second.ExitCode);
            Assert.Contains("migrations: database is up to date", second.Output, StringComparison.Ordinal);
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task Command_WithoutConnectionString_FailsWithUsage()
    {
        var result = await RunAsync([], environment: null);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ConnectionStrings__Mesh", result.Output, StringComparison.Ordinal);
    }

    private async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = $"mesh_cmd_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(database.Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(database.Server.ConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, string? environment)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mesh.Migrations.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("ConnectionStrings__Mesh");
        if (environment is not null)
        {
            startInfo.Environment["ConnectionStrings__Mesh"] = environment;
        }

        using var process = Process.Start(startInfo)!;
        using var cancellation = new CancellationTokenSource(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancellation.Token);
        await process.WaitForExitAsync(cancellation.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
