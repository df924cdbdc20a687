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

    /// <summary>A sign-in as the console's page sends it.</summary>
    public static HttpRequestMessage SignInRequest(string keyId, string secret) =>
        new(HttpMethod.Post, "/console/session") { Content = JsonContent.Create(new { accessKeyId = keyId, secretAccessKey = secret }) };

    /// <summary>The session id a cookie jar holds for the API host.</summary>
    public static string SessionCookie(CookieContainer cookies, Uri api) =>
        Assert.Single(cookies.GetCookies(api), c => c.Name == "mesh-console").Value;

    /// <summary>A request carrying this session id as its cookie, from a client with no jar of its own (a copied cookie).</summary>
    public static async Task<ApiResponse> WithSessionAsync(Uri api, string session, HttpMethod method, string path)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = api };
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"mesh-console={session}");
        return await ApiServer.SendAsync(http, request);
    }

    public void Dispose() => Http.Dispose();
}
