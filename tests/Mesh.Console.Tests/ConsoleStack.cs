using System.Reflection;
using System.Security.Cryptography;
using Mesh.Testing;

namespace Mesh.Console.Tests;

/// <summary>An access key as <c>keys create</c> wrote it into an AWS credentials file.</summary>
public sealed record AccessKey(string Id, string Secret);

/// <summary>
/// The whole product as an operator runs it, for the browser tests: a throwaway PostgreSQL database, the API host
/// (SigV4 on, the console pointed at the xDS server's proxy status) and the xDS server, each its own process, and
/// two keys made by the API's own <c>keys create</c>: an admin key and a read-only one.
/// </summary>
public sealed class ConsoleStack : IAsyncLifetime
{
    private static string Metadata(string key) => typeof(ConsoleStack).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public static string BrowserDirectory { get; } = Metadata("BrowserDirectory");

    private Dictionary<string, string> environment = [];
    private HostProcess? api;
    private HostProcess? xds;
    private string? keyDirectory;

    public Uri ApiUrl { get; private set; } = null!;

    public Uri XdsGrpcUrl { get; private set; } = null!;

    public Uri XdsAdminUrl { get; private set; } = null!;

    public AccessKey Admin { get; private set; } = null!;

    public AccessKey ReadOnly { get; private set; } = null!;

    public string ApiOutput => api?.Output ?? "";

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var server = await PostgresServer.GetSharedAsync(timeout.Token);
        var database = await server.CreateDatabaseAsync(timeout.Token);
        ApiUrl = new Uri($"http://127.0.0.1:{HostProcess.FreePort()}");
        XdsGrpcUrl = new Uri($"http://127.0.0.1:{HostProcess.FreePort()}");
        XdsAdminUrl = new Uri($"http://127.0.0.1:{HostProcess.FreePort()}");
        environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = database,
            ["Mesh__Auth__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Mesh__Console__ProxyStatusUrls__0"] = XdsAdminUrl.ToString(),
            ["Logging__LogLevel__Default"] = "Warning",
        };

        keyDirectory = Directory.CreateTempSubdirectory("mesh-console-keys-").FullName;
        Admin = await CreateKeyAsync("--admin");
        ReadOnly = await CreateKeyAsync("--read-only");

        api = HostProcess.Start(Metadata("ApiAssembly"), environment, "--urls", ApiUrl.ToString());
        xds = HostProcess.Start(Metadata("XdsAssembly"), new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = database,
            ["Logging__LogLevel__Default"] = "Warning",
        }, $"--Xds:GrpcUrl={XdsGrpcUrl}", $"--Xds:AdminUrl={XdsAdminUrl}", "--Xds:Auth:Mode=None");
        await api.WaitUntilAnswersAsync(new Uri(ApiUrl, "/readyz"));
        await xds.WaitUntilAnswersAsync(new Uri(XdsAdminUrl, "/readyz"));
    }

    public Task RevokeKeyAsync(string id) => HostProcess.RunAsync(Metadata("ApiAssembly"), environment, "keys", "revoke", id);

    public async Task DisposeAsync()
    {
        if (api is not null)
        {
            await api.DisposeAsync();
        }

        if (xds is not null)
        {
            await xds.DisposeAsync();
        }

        if (keyDirectory is not null)
        {
            Directory.Delete(keyDirectory, recursive: true);
        }
    }

    /// <summary>A new key of the test account, made by <c>keys create</c> with these policy arguments (e.g. "--admin").</summary>
    public async Task<AccessKey> CreateKeyAsync(params string[] policy)
    {
        var file = Path.Combine(keyDirectory!, Guid.NewGuid().ToString("N"));
        await HostProcess.RunAsync(Metadata("ApiAssembly"), environment,
            ["keys", "create", "--account", "111122223333", .. policy, "--description", "console tests", "--credentials-file", file]);
        var values = File.ReadAllLines(file).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        return new AccessKey(values["aws_access_key_id"], values["aws_secret_access_key"]);
    }
}
