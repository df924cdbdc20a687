using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mesh.Console.Tests;

/// <summary>The console's sign-in and session over plain HTTP: what a browser gets, and what another site cannot do.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SessionEndpointTests(ConsoleStack stack)
{
    private const string WrongSecret = "not-the-secret";

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
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = stack.Admin.Id, secretAccessKey = WrongSecret });

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

    [Fact]
    public async Task Revoking_The_Key_Ends_Its_Console_Sessions()
    {
        var key = await stack.CreateKeyAsync("--admin");
        using var http = await SignedInAsync(key);
        using (var before = await http.GetAsync("/v20190125/meshes"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await stack.RevokeKeyAsync(key.Id);
        // The API host caches a looked-up key for a second (AccessKeyStore.CacheLifetime).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var after = await http.GetAsync("/v20190125/meshes");
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.StartsWith("UnrecognizedClientException", after.Headers.GetValues("x-amzn-ErrorType").Single());
    }

    [Fact]
    public async Task Proxy_Status_And_The_Audit_Log_Are_Allowed_By_The_Key_Policy()
    {
        // Proxy status is answered for a mesh the account has, as DescribeMesh answers.
        using (var admin = await SignedInAsync(stack.Admin))
        {
            await CreateMeshAsync(admin, "allowed");
        }

        var key = await stack.CreateKeyAsync("--allow", "appmesh:DescribeMesh on arn:aws:appmesh:*:*:mesh/allowed");
        using var limited = await SignedInAsync(key);
        using (var allowed = await limited.GetAsync("/console/api/proxy-status?meshName=allowed"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.True(JsonNode.Parse(await allowed.Content.ReadAsStringAsync())!["configured"]!.GetValue<bool>());
        }

        using (var other = await limited.GetAsync("/console/api/proxy-status?meshName=other"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        using (var audit = await limited.GetAsync("/console/api/audit"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        }

        using var readOnly = await SignedInAsync(stack.ReadOnly);
        using var records = await readOnly.GetAsync("/console/api/audit?limit=5");
        Assert.Equal(HttpStatusCode.OK, records.StatusCode);
        var page = JsonNode.Parse(await records.Content.ReadAsStringAsync())!;
        Assert.NotEmpty(page["records"]!.AsArray());
        // No secret is in the records: not the keys' own, nor one a failed sign-in sent (A_Wrong_Secret_...), which is
        // now in this account's log too (its message says "secret access key", so the word alone proves nothing).
        Assert.All(page["records"]!.AsArray(), r =>
        {
            foreach (var secret in new[] { stack.Admin.Secret, stack.ReadOnly.Secret, key.Secret, WrongSecret })
            {
                Assert.DoesNotContain(secret, r!.ToJsonString(), StringComparison.Ordinal);
            }
        });

        // A parameter that cannot be read is a BadRequestException naming it, as everywhere else.
        using var unreadable = await readOnly.GetAsync("/console/api/audit?limit=abc");
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Equal("BadRequestException", unreadable.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("limit", await unreadable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_A_Session_Console_Reads_Are_Refused()
    {
        using var http = new HttpClient { BaseAddress = stack.ApiUrl };
        using var response = await http.GetAsync("/console/api/audit");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    /// <summary>Creates the mesh through a signed-in console client (409: an earlier run made it).</summary>
    private static async Task CreateMeshAsync(HttpClient signedIn, string name)
    {
        var session = JsonNode.Parse(await signedIn.GetStringAsync("/console/session"))!;
        using var create = new HttpRequestMessage(HttpMethod.Put, "/v20190125/meshes") { Content = JsonContent.Create(new { meshName = name }) };
        create.Headers.Add("X-Mesh-Csrf", session["csrfToken"]!.GetValue<string>());
        using var created = await signedIn.SendAsync(create);
        Assert.True(created.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"creating mesh {name}: {created.StatusCode}");
    }

    private async Task<HttpClient> SignedInAsync(AccessKey key)
    {
        var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = stack.ApiUrl };
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = key.Id, secretAccessKey = key.Secret });
        response.EnsureSuccessStatusCode();
        return http;
    }
}
