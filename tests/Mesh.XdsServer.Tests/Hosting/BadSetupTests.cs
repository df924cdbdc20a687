using Mesh.Persistence;
using Mesh.Security;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The xDS host refuses each misconfiguration at start with exit code 2 and one line naming the setting and the fix,
/// instead of aborting with a stack trace (exit 134) or serving with a feed that can never load.
/// </summary>
public sealed class BadSetupTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Theory]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=not-a-port;Database=mesh")]
    public async Task A_Malformed_Connection_String_Is_Named(string connectionString)
    {
        var (code, error) = await RunAsync(new() { ["ConnectionStrings__Mesh"] = connectionString, ["Xds__Auth__Mode"] = "None" });

        AssertRefused(code, error, "ConnectionStrings:Mesh is malformed (");
    }

    [Fact]
    public async Task A_Master_Key_That_Is_Not_Base64_Of_32_Bytes_Is_Named()
    {
        var (code, error) = await RunAsync(new() { ["ConnectionStrings__Mesh"] = database.ConnectionString, ["Mesh__Auth__MasterKey"] = "c2hvcnQ=" });

        AssertRefused(code, error, "Mesh:Auth:MasterKey must be base64 of 32 random bytes, but it decodes to 5 bytes.");
    }

    [Fact]
    public async Task A_Master_Key_Other_Than_The_Keys_Were_Made_With_Is_Named()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        var contexts = new PooledDbContextFactory<MeshDbContext>(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(connectionString).Options);
        await new AccessKeyStore(contexts, new SecretProtector(SecretProtector.NewMasterKey()), TimeProvider.System)
            .CreateAsync("111122223333", KeyPolicy.Proxy("arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualNode/a"), "", CancellationToken.None);

        var (code, error) = await RunAsync(new() { ["ConnectionStrings__Mesh"] = connectionString, ["Mesh__Auth__MasterKey"] = SecretProtector.NewMasterKey() });

        AssertRefused(code, error, "Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with");
    }

    [Fact]
    public async Task A_Database_Without_The_Migrations_Says_Apply_The_Migrations()
    {
        var name = $"unmigrated_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(database.Server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(database.Server.ConnectionString) { Database = name }.ConnectionString;
        var (code, error) = await RunAsync(new() { ["ConnectionStrings__Mesh"] = connectionString, ["Xds__Auth__Mode"] = "None" });

        AssertRefused(code, error, "the database's schema is not migrated (missing access_keys, audit_log,");
        Assert.Contains("apply the migrations: dotnet Mesh.Migrations.dll", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mesh__AccountId", "12", "Mesh:AccountId must be 12 digits")]
    [InlineData("Mesh__Region", "US East", "Mesh:Region must be a region name")]
    [InlineData("Xds__Registration__RenewInterval", "00:01:00", "Xds:Registration:GracePeriod (00:00:30) must be longer than Xds:Registration:RenewInterval (00:01:00)")]
    [InlineData("Xds__Feed__PollInterval", "00:00:00", "Xds:Feed:PollInterval (00:00:00) must be positive.")]
    [InlineData("Xds__ProxyStatus__Peers__0", "xds-1:18001", "Xds:ProxyStatus:Peers holds 'xds-1:18001'")]
    [InlineData("Xds__GrpcUrl", "http://xds.example:18000", "Xds:GrpcUrl 'http://xds.example:18000' is not a listen URL")]
    [InlineData("Xds__ListenBacklog", "0", "Xds:ListenBacklog (0) must be at least 1.")]
    [InlineData("Xds__StartCheckTimeout", "00:00:00", "Xds:StartCheckTimeout (00:00:00) must be between 00:00:01 and 00:10:00.")]
    [InlineData("Xds__StartCheckTimeout", "00:10:01", "Xds:StartCheckTimeout (00:10:01) must be between 00:00:01 and 00:10:00.")]
    public async Task A_Setting_The_Options_Refuse_Is_Named(string variable, string value, string expected)
    {
        // A database that never answers: the served process needs one named, and these settings are refused before
        // it matters whether it answers.
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=none;Username=none",
            ["Xds__Auth__Mode"] = "None",
        };
        environment[variable] = value;

        var (code, error) = await RunAsync(environment);

        AssertRefused(code, error, expected);
    }

    private static async Task<(int Code, string Error)> RunAsync(Dictionary<string, string> environment)
    {
        environment.TryAdd("Xds__GrpcUrl", "http://127.0.0.1:0");
        environment.TryAdd("Xds__AdminUrl", "http://127.0.0.1:0");

        // These tests are about what the server says once PostgreSQL has answered: on a loaded machine a fresh
        // database's first answer has taken longer than the check's default 10 s, after which the server starts
        // without it (its behaviour for a database that is down), so the check gets two minutes and the process three.
        environment.TryAdd("Xds__StartCheckTimeout", "00:02:00");
        using var process = XdsProcess.Start(environment);
        try
        {
            var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;
            var output = process.StandardOutput.ReadToEndAsync(timeout);
            var error = await process.StandardError.ReadToEndAsync(timeout);
            await process.WaitForExitAsync(timeout);
            Assert.DoesNotContain("   at ", await output + error, StringComparison.Ordinal);
            return (process.ExitCode, error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static void AssertRefused(int code, string error, string expected)
    {
        Assert.True(code == 2, $"exit code {code}; stderr: {error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Mesh.XdsServer: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }
}
