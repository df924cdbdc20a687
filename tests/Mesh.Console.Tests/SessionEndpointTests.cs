using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mesh.Console.Tests;

/// <summary>The console's sign-in and session over plain HTTP: what a browser gets, and what another site cannot do.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SessionEndpointTests(ConsoleStack stack)
{
    [Fact]
    public async Task Sign_In_Sets_An_HttpOnly_SameSite_Strict_Cookie_And_Keeps_No_Secret_In_The_Answer()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = stack.ApiUrl };
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = stack.Admin.Id, secretAccessKey = stack.Admin.Secret });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("mesh-console=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(stack.Admin.Secret, body);
        Assert.DoesNotContain(stack.Admin.Secret, cookie);
        var session = JsonNode.Parse(body)!;
        Assert.Equal(stack.Admin.Id, session["accessKeyId"]!.GetValue<string>());
        Assert.True(session["canWrite"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(session["csrfToken"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_Wrong_Secret_Is_Refused_Like_SigV4_Refuses_It()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = stack.ApiUrl };
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = stack.Admin.Id, secretAccessKey = "not-the-secret" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.StartsWith("UnrecognizedClientException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Another_Origin_Cannot_Sign_A_Browser_In()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = stack.ApiUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/session")
        {
            Content = JsonContent.Create(new { accessKeyId = stack.Admin.Id, secretAccessKey = stack.Admin.Secret }),
        };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_Session_Cookie_Authenticates_Reads_And_Writes_Need_The_Csrf_Token()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = stack.ApiUrl };
        var session = JsonNode.Parse(await (await http.PostAsJsonAsync("/console/session", new { accessKeyId = stack.Admin.Id, secretAccessKey = stack.Admin.Secret }))
            .EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;

        using var list = await http.GetAsync("/v20190125/meshes");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        using var withoutToken = await http.PutAsJsonAsync("/v20190125/meshes", new { meshName = "csrf-less" });
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);

        using var write = new HttpRequestMessage(HttpMethod.Put, "/v20190125/meshes") { Content = JsonContent.Create(new { meshName = "with-token" }) };
        write.Headers.Add("X-Mesh-Csrf", session["csrfToken"]!.GetValue<string>());
        using var written = await http.SendAsync(write);
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/console/session");
        signOut.Headers.Add("X-Mesh-Csrf", session["csrfToken"]!.GetValue<string>());
        (await http.SendAsync(signOut)).EnsureSuccessStatusCode();
        using var afterSignOut = await http.GetAsync("/v20190125/meshes");
        Assert.Equal(HttpStatusCode.Forbidden, afterSignOut.StatusCode);
    }

    [Fact]
    public async Task The_Root_Links_The_Console_And_The_Documentation()
    {
        using var http = new HttpClient { BaseAddress = stack.ApiUrl };
        var page = await http.GetStringAsync("/");
        Assert.Contains("href=\"/console\"", page);
        Assert.Contains("href=\"/docs\"", page);
        using var console = await http.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        Assert.Contains("default-src 'self'", console.Headers.GetValues("Content-Security-Policy").Single());
    }
}
