using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>A browser's view of the console for tests: a cookie jar signed in with one key, and the session's CSRF token.</summary>
public sealed class ConsoleClient : IDisposable
{
    private ConsoleClient(HttpClient http, CookieContainer cookies, string csrfToken)
    {
        Http = http;
        Cookies = cookies;
        CsrfToken = csrfToken;
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies { get; }

    public string CsrfToken { get; }

    public static async Task<ConsoleClient> SignInAsync(ApiServer api, IssuedKey key)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = api.BaseAddress };
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = key.AccessKeyId, secretAccessKey = key.SecretAccessKey });
        Assert.True(response.IsSuccessStatusCode, $"signing in with {key.AccessKeyId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var session = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return new ConsoleClient(http, cookies, session["csrfToken"]!.GetValue<string>());
    }

    public Task<ApiResponse> GetAsync(string path) => ApiServer.SendAsync(Http, new HttpRequestMessage(HttpMethod.Get, path));

    public void Dispose() => Http.Dispose();
}
