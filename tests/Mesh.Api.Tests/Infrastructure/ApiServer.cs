using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// The API host on a real Kestrel port (so out-of-process clients such as the AWS CLI can reach it),
/// backed by its own fresh database. One per test class: tests never see each other's data.
/// </summary>
public sealed class ApiServer : IAsyncLifetime
{
    public const string AccountId = "111122223333";
    public const string Region = "us-east-1";

    private readonly PostgresDatabase database = new();
    private WebApplicationFactory<Program>? factory;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString => database.ConnectionString;

    /// <summary>The host's services, for tests that check wiring.</summary>
    public IServiceProvider Services => factory!.Services;

    /// <summary>Settings a test class wants on top of the defaults (e.g. lower quotas).</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            // Port 0: every test class gets its own free port, so classes can run in parallel.
            web.UseUrls("http://127.0.0.1:0");
            web.UseSetting("ConnectionStrings:Mesh", database.ConnectionString);
            web.UseSetting("Mesh:AccountId", AccountId);
            web.UseSetting("Mesh:Region", Region);
            foreach (var (key, value) in Settings)
            {
                web.UseSetting(key, value);
            }
        });
        factory.UseKestrel();
        factory.StartServer();
        Client = factory.CreateClient();
        BaseAddress = Client.BaseAddress!;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        await database.DisposeAsync();
    }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await SendAsync(request);
    }

    public async Task<ApiResponse> SendRawAsync(HttpMethod method, string path, string rawBody)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(rawBody, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await SendAsync(request);
    }

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(
            (int)response.StatusCode,
            response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.Single() : null,
            response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.Single() : null,
            text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
