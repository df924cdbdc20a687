using System.Net;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>
/// What a sign-in and a sign-out do to the browser's cookie and to the session it names: a sign-in ends the session
/// the cookie named before; a sign-out always expires the cookie, and ends the session only with its CSRF token.
/// </summary>
public sealed class ConsoleSignOutTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task SigningInAgain_EndsTheSessionTheBrowsersCookieNamed()
    {
        var key = await api.CreateKeyAsync("222200000006", KeyPolicy.Admin);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = api.BaseAddress };
        (await ApiServer.SendAsync(browser, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();
        var first = ConsoleClient.SessionCookie(cookies, api.BaseAddress);

        (await ApiServer.SendAsync(browser, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();

        Assert.NotEqual(first, ConsoleClient.SessionCookie(cookies, api.BaseAddress));
        (await ConsoleClient.WithSessionAsync(api.BaseAddress, first, HttpMethod.Get, Paths.Meshes)).AssertError(403, "UnrecognizedClientException");
        (await ApiServer.SendAsync(browser, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes))).AssertOk();
    }

    [Fact]
    public async Task SigningOutWithAStaleToken_IsRefused_ButStillExpiresTheBrowsersCookie()
    {
        var key = await api.CreateKeyAsync("222200000007", KeyPolicy.Admin);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = api.BaseAddress };
        (await ApiServer.SendAsync(browser, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();
        var session = ConsoleClient.SessionCookie(cookies, api.BaseAddress);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/console/session");
        signOut.Headers.Add("X-Mesh-Csrf", "a-token-of-another-sign-in");
        using var response = await browser.SendAsync(signOut);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var expired = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("mesh-console=", StringComparison.Ordinal));
        Assert.Contains("expires=Thu, 01 Jan 1970", expired, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(cookies.GetCookies(api.BaseAddress), c => c.Name == "mesh-console");
        // Without the token the session itself is not ended: whoever holds its id (and token) may still use it.
        (await ConsoleClient.WithSessionAsync(api.BaseAddress, session, HttpMethod.Get, Paths.Meshes)).AssertOk();
    }

    [Fact]
    public async Task SigningOutWithTheToken_EndsTheSession()
    {
        var key = await api.CreateKeyAsync("222200000008", KeyPolicy.Admin);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = api.BaseAddress };
        var signedIn = (await ApiServer.SendAsync(browser, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();
        var session = ConsoleClient.SessionCookie(cookies, api.BaseAddress);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/console/session");
        signOut.Headers.Add("X-Mesh-Csrf", signedIn.Body!["csrfToken"]!.GetValue<string>());
        using var response = await browser.SendAsync(signOut);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        (await ConsoleClient.WithSessionAsync(api.BaseAddress, session, HttpMethod.Get, Paths.Meshes)).AssertError(403, "UnrecognizedClientException");
    }
}
