using Mesh.Persistence;
using Mesh.Security;
using Mesh.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests.Setup;

/// <summary>
/// Each misconfiguration a new operator can make stops the API at start with exit code 2 and one line that names
/// the setting and what to do: never a stack trace, never a host that starts and answers 500 to every call.
/// </summary>
public sealed class BadSetupTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Theory]
    [InlineData("not base64 at all!", "it is not base64")]
    [InlineData("c2hvcnQ=", "it decodes to 5 bytes")]
    public async Task A_Master_Key_That_Is_Not_Base64_Of_32_Bytes_Is_Named(string masterKey, string why)
    {
        var (code, output, error) = await ApiProcess.RunAsync(Settings(database.ConnectionString, masterKey));

        AssertRefused(code, output, error, $"Mesh:Auth:MasterKey must be base64 of 32 random bytes, but {why}.");
    }

    [Fact]
    public async Task A_Master_Key_Other_Than_The_Keys_Were_Made_With_Stops_The_Start_And_Key_Creation()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        await CreateKeyAsync(connectionString, SecretProtector.NewMasterKey());
        var otherKey = SecretProtector.NewMasterKey();

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, otherKey), "--urls", "http://127.0.0.1:0");
        AssertRefused(code, output, error, "Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with");

        (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, otherKey), "keys", "create", "--account", "111122223333", "--admin");
        AssertRefused(code, output, error, "Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with");
        await using var db = Context(connectionString);
        Assert.Equal(1, await db.AccessKeys.CountAsync());
    }

    /// <summary>
    /// Listing and revoking decrypt nothing, but a wrong master key means a misconfigured command (perhaps pointed at
    /// another database): they refuse it as the start and key creation do, and revoke nothing.
    /// </summary>
    [Fact]
    public async Task A_Master_Key_Other_Than_The_Keys_Were_Made_With_Stops_Listing_And_Revoking_Keys()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        var issued = await CreateKeyAsync(connectionString, SecretProtector.NewMasterKey());
        var otherKey = SecretProtector.NewMasterKey();

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, otherKey), "keys", "list");
        AssertRefused(code, output, error, "Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with");
        Assert.DoesNotContain(issued.AccessKeyId, output + error, StringComparison.Ordinal);

        (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, otherKey), "keys", "revoke", issued.AccessKeyId);
        AssertRefused(code, output, error, "Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with");
        await using var db = Context(connectionString);
        Assert.Null(await db.AccessKeys.Where(k => k.AccessKeyId == issued.AccessKeyId).Select(k => k.RevokedAt).SingleAsync());
    }

    /// <summary>
    /// A list of a database that has no key yet has nothing to check the master key against, and writes no check value:
    /// the key the first <c>keys create</c> is given is the database's, whichever key a list before it was given.
    /// </summary>
    [Fact]
    public async Task Listing_The_Keys_Of_A_Database_Without_Any_Does_Not_Tie_It_To_The_Master_Key_Given()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "keys", "list");
        Assert.True(code == 0, $"exit code {code}; stderr: {error}; stdout: {output}");

        (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "keys", "create", "--account", "111122223333", "--admin");
        Assert.True(code == 0, $"exit code {code}; stderr: {error}; stdout: {output}");
    }

    [Fact]
    public async Task The_Check_Value_Stored_With_The_First_Key_Catches_A_Wrong_Key_Even_When_No_Key_Is_Left()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        var firstKey = SecretProtector.NewMasterKey();
        var issued = await CreateKeyAsync(connectionString, firstKey);
        await using (var db = Context(connectionString))
        {
            await db.AccessKeys.Where(k => k.AccessKeyId == issued.AccessKeyId).ExecuteDeleteAsync();
            Assert.True(await db.Settings.AnyAsync(s => s.Key == MasterKeyCheck.Setting));
        }

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "keys", "create", "--account", "111122223333", "--admin");

        AssertRefused(code, output, error, "(the check value in settings (master_key_check) does not decrypt)");
    }

    [Fact]
    public async Task A_Database_Without_The_Migrations_Says_Apply_The_Migrations()
    {
        var connectionString = await UnmigratedDatabaseAsync();
        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "--urls", "http://127.0.0.1:0");

        AssertRefused(code, output, error, "the database's schema is not migrated (missing access_keys, audit_log,");
        Assert.Contains("apply the migrations: dotnet Mesh.Migrations.dll", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A new operator's first command is often <c>keys create</c>, sometimes before the migrations: the key and audit
    /// commands say what the start says, instead of an unhandled exception's stack trace (they used to abort, exit code 134).
    /// </summary>
    [Theory]
    [InlineData("keys", "create", "--account", "111122223333", "--admin")]
    [InlineData("keys", "list")]
    [InlineData("keys", "revoke", "MKIAAAAAAAAAAAAAAAAA")]
    [InlineData("audit", "list")]
    public async Task A_Database_Without_The_Migrations_Says_Apply_The_Migrations_To_The_Operator_Commands(params string[] args)
    {
        var connectionString = await UnmigratedDatabaseAsync();

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), args);

        AssertRefused(code, output, error, "the database's schema is not migrated (missing access_keys, audit_log,");
        Assert.Contains("apply the migrations: dotnet Mesh.Migrations.dll", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Database_That_Does_Not_Exist_Is_Named_To_The_Operator_Commands()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(database.Server.ConnectionString) { Database = $"missing_{Guid.NewGuid():N}" }.ConnectionString;

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "keys", "list");

        AssertRefused(code, output, error, "the database named in ConnectionStrings:Mesh does not exist");
    }

    /// <summary>A command cannot wait for PostgreSQL to come up, as the host does: it says PostgreSQL does not answer.</summary>
    [Fact]
    public async Task A_PostgreSQL_That_Does_Not_Answer_Is_Said_To_The_Operator_Commands()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(database.Server.ConnectionString) { Port = ClosedPort() }.ConnectionString;

        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "keys", "list");

        AssertRefused(code, output, error, "PostgreSQL does not answer (");
    }

    [Theory]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=not-a-port;Database=mesh")]
    public async Task A_Malformed_Connection_String_Is_Named(string connectionString)
    {
        var (code, output, error) = await ApiProcess.RunAsync(Settings(connectionString, SecretProtector.NewMasterKey()), "--urls", "http://127.0.0.1:0");

        AssertRefused(code, output, error, "ConnectionStrings:Mesh is malformed (");
        Assert.Contains("Write it as \"Host=127.0.0.1;Port=5432;Database=mesh;Username=postgres\"", error, StringComparison.Ordinal);
    }

    private static void AssertRefused(int code, string output, string error, string expected)
    {
        Assert.True(code == 2, $"exit code {code}; stderr: {error}; stdout: {output}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Mesh.Api: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:10:01")]
    public async Task A_Start_Check_Timeout_Out_Of_Range_Is_Named(string timeout)
    {
        var settings = Settings(database.ConnectionString, SecretProtector.NewMasterKey());
        settings["Mesh__StartCheckTimeout"] = timeout;

        var (code, output, error) = await ApiProcess.RunAsync(settings, "--urls", "http://127.0.0.1:0");

        AssertRefused(code, output, error, "StartCheckTimeout must be between 00:00:01 and 00:10:00");
    }

    /// <summary>
    /// The start's database check gets two minutes (the default is 10 s): these tests are about what the API says
    /// once PostgreSQL has answered, and on a loaded machine a fresh database's first answer has taken longer than
    /// 10 s, after which the API starts without the check (its behaviour for a database that is down).
    /// </summary>
    private static Dictionary<string, string> Settings(string connectionString, string masterKey) => new()
    {
        ["ConnectionStrings__Mesh"] = connectionString,
        ["Mesh__Auth__MasterKey"] = masterKey,
        ["Mesh__StartCheckTimeout"] = "00:02:00",
    };

    private async Task<string> UnmigratedDatabaseAsync()
    {
        var name = $"unmigrated_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(database.Server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(database.Server.ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A local port nothing listens on: one the system just gave out and took back.</summary>
    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static MeshDbContext Context(string connectionString) =>
        new(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(connectionString).Options);

    private static async Task<IssuedKey> CreateKeyAsync(string connectionString, string masterKey)
    {
        var contexts = new PooledDbContextFactory<MeshDbContext>(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(connectionString).Options);
        var keys = new AccessKeyStore(contexts, new SecretProtector(masterKey), TimeProvider.System);
        return await keys.CreateAsync("111122223333", KeyPolicy.Admin, "made with the first master key", CancellationToken.None);
    }
}
