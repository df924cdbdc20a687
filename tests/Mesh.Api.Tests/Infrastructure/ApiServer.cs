using Mesh.Security;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// The API host on a real Kestrel port (so out-of-process clients such as the AWS CLI can reach it),
/// backed by its own fresh database. One per test class: tests never see each other's data.
/// </summary>
public class ApiServer : IAsyncLifetime
{
    public const string AccountId = "111122223333";
    public const string Region = "us-east-1";

    private readonly bool dedicatedServer;
    private string? connectionString;
    private PostgresDatabase? sharedDatabase;
    private DedicatedPostgresDatabase? dedicatedDatabase;
    private WebApplicationFactory<Program>? factory;

    public ApiServer()
        : this(dedicatedServer: false)
    {
    }

    /// <param name="dedicatedServer">
    /// True for a PostgreSQL server of this API's own (see <see cref="Database"/>), for tests that stop, crash or
    /// freeze it; false for a database on the server the test process shares.
    /// </param>
    protected ApiServer(bool dedicatedServer) => this.dedicatedServer = dedicatedServer;

    /// <summary>
    /// A second replica of <paramref name="primary"/> (started): another API host on the same database, with the same
    /// master key. It owns no database: disposing it leaves the primary's.
    /// </summary>
    protected ApiServer(ApiServer primary)
    {
        replicaOf = primary.ConnectionString;
        MasterKey = primary.MasterKey;
    }

    private readonly string? replicaOf;

    /// <summary>The master key this host was started with.</summary>
    public string MasterKey { get; } = SecretProtector.NewMasterKey();

    /// <summary>A client signed with <see cref="AdminKey"/>.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>An access key with every right in <see cref="AccountId"/>, for clients such as the AWS CLI.</summary>
    public IssuedKey AdminKey { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString => connectionString ?? throw new InvalidOperationException("The API server is not started.");

    /// <summary>The PostgreSQL server behind this API; only a dedicated one may be stopped or restarted.</summary>
    public PostgresServer Database => (PostgresServer?)dedicatedDatabase?.Server ?? sharedDatabase?.Server
        ?? throw new InvalidOperationException("The API server is not started.");

    /// <summary>The host's services, for tests that check wiring.</summary>
    public IServiceProvider Services => factory!.Services;

    /// <summary>Settings a test class wants on top of the defaults (e.g. lower quotas).</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    public async Task InitializeAsync()
    {
        if (replicaOf is not null)
        {
            connectionString = replicaOf;
        }
        else if (dedicatedServer)
        {
            dedicatedDatabase = new DedicatedPostgresDatabase();
            await dedicatedDatabase.InitializeAsync();
            connectionString = dedicatedDatabase.ConnectionString;
        }
        else
        {
            sharedDatabase = new PostgresDatabase();
            await sharedDatabase.InitializeAsync();
            connectionString = sharedDatabase.ConnectionString;
        }

        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            // Port 0: every test class gets its own free port, so classes can run in parallel.
            web.UseUrls("http://127.0.0.1:0");
            web.UseSetting("ConnectionStrings:Mesh", connectionString);
            web.UseSetting("Mesh:AccountId", AccountId);
            web.UseSetting("Mesh:Region", Region);
            web.UseSetting("Mesh:Auth:Mode", "SigV4");
            web.UseSetting("Mesh:Auth:MasterKey", MasterKey);

            // Suites such as the model-driven one send thousands of requests as fast as they can; the
            // rate limit has its own tests, which set a low one through Settings.
            web.UseSetting("Mesh:Auth:RequestsPerSecond", "1000000");
            web.UseSetting("Mesh:Auth:Burst", "1000000");
            foreach (var (key, value) in Settings)
            {
                web.UseSetting(key, value);
            }
        });
        factory.UseKestrel();
        factory.StartServer();
        BaseAddress = factory.CreateClient().BaseAddress!;
        AdminKey = await CreateKeyAsync(AccountId, KeyPolicy.Admin);
        AdminKeys[BaseAddress.GetLeftPart(UriPartial.Authority)] = AdminKey;
        Client = CreateClient(AdminKey);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IssuedKey> AdminKeys = new();

    /// <summary>The admin key of the server at this endpoint, for out-of-process clients that only know the URL.</summary>
    public static IssuedKey AdminKeyFor(Uri endpoint) =>
        AdminKeys.TryGetValue(endpoint.GetLeftPart(UriPartial.Authority), out var key)
            ? key
            : throw new InvalidOperationException($"No test API server runs at {endpoint}.");

    public Task<IssuedKey> CreateKeyAsync(string account, KeyPolicy policy) =>
        factory!.Services.GetRequiredService<AccessKeyStore>().CreateAsync(account, policy, "test", CancellationToken.None);

    /// <summary>A client that signs every request with the given key.</summary>
    public HttpClient CreateClient(IssuedKey key) =>
        new(new SigningHandler(key.AccessKeyId, key.SecretAccessKey, Region)) { BaseAddress = BaseAddress };

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        if (sharedDatabase is not null)
        {
            await sharedDatabase.DisposeAsync();
        }

        if (dedicatedDatabase is not null)
        {
            await dedicatedDatabase.DisposeAsync();
        }
    }

    public Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null) => SendAsync(Client, method, path, body);

    public async Task<ApiResponse> SendAsync(HttpClient client, HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await SendAsync(client, request);
    }

    public async Task<ApiResponse> SendRawAsync(HttpMethod method, string path, string rawBody)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(rawBody, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await SendAsync(Client, request);
    }

    public static async Task<ApiResponse> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(
            (int)response.StatusCode,
            response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.Single() : null,
            response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.Single() : null,
            text.Length == 0 ? null : JsonNode.Parse(text));
    }
}

/// <summary>An <see cref="ApiServer"/> on a PostgreSQL server of its own, which its tests may stop, crash or freeze.</summary>
public sealed class DedicatedApiServer() : ApiServer(dedicatedServer: true);
