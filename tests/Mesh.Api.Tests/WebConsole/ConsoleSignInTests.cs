using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Mesh.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>
/// Console sign-in over HTTP: failed sign-ins limited per pair of key id and source address (each test signs in from
/// loopback addresses of its own, so their limits do not meet), audited under the key's account up to a limit, and
/// refused console calls audited likewise; sessions bounded per key.
/// </summary>
public sealed class ConsoleSignInTests(ConsoleSignInTests.LowSignInLimits api) : IClassFixture<ConsoleSignInTests.LowSignInLimits>
{
    private const int Burst = 3;

    [Fact]
    public async Task FailedSignInsOfAKey_AreLimitedPerAddress_AndNeverLockOutItsOwnerElsewhere()
    {
        var key = await api.Server.CreateKeyAsync("222200000001", KeyPolicy.Admin);
        for (var i = 0; i < Burst; i++)
        {
            (await SignInAsync("127.0.1.1", key.AccessKeyId, "wrong")).AssertError(403, "UnrecognizedClientException");
            (await SignInAsync($"127.0.1.{i + 10}", key.AccessKeyId, "wrong")).AssertError(403, "UnrecognizedClientException");
        }

        // That address has used up its attempts at this key, the right secret included ...
        var throttled = await SignInAsync("127.0.1.1", key.AccessKeyId, "wrong");
        throttled.AssertError(429, "TooManyRequestsException");
        Assert.Contains("Too many failed console sign-ins", throttled.Message);
        (await SignInAsync("127.0.1.1", key.AccessKeyId, key.SecretAccessKey)).AssertError(429, "TooManyRequestsException");

        // ... but failures from anywhere else do not keep the key's owner out.
        (await SignInAsync("127.0.1.100", key.AccessKeyId, key.SecretAccessKey)).AssertOk();
    }

    [Fact]
    public async Task AKeyIdThatDoesNotExist_IsLimitedAlike_AndAnswered429WithRetryAfter()
    {
        // Limited as an existing key is, so the limit tells nothing about which key ids exist.
        for (var i = 0; i < Burst; i++)
        {
            (await SignInAsync("127.0.2.1", "MKIANOSUCHKEY0000001", "wrong")).AssertError(403, "UnrecognizedClientException");
        }

        using var http = SourceAddressClient.Create(api.Server.BaseAddress, "127.0.2.1");
        using var response = await http.PostAsJsonAsync("/console/session", new { accessKeyId = "MKIANOSUCHKEY0000001", secretAccessKey = "wrong" });

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.StartsWith("TooManyRequestsException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Contains("retry in", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.False(response.Headers.Contains("Set-Cookie"));

        // Another key id from the same address is its own pair.
        (await SignInAsync("127.0.2.1", "MKIANOSUCHKEY0000002", "wrong")).AssertError(403, "UnrecognizedClientException");
    }

    [Fact]
    public async Task SignInsThatSucceed_DoNotUseUpTheLimit()
    {
        var key = await api.Server.CreateKeyAsync("222200000002", KeyPolicy.Admin);
        for (var i = 0; i < Burst * 3; i++)
        {
            (await SignInAsync("127.0.3.1", key.AccessKeyId, key.SecretAccessKey)).AssertOk();
        }
    }

    [Fact]
    public async Task FailedSignInsOfAnExistingKey_AreAuditedUnderItsAccount_UpToTheLimit()
    {
        const string account = "222200000003";
        var key = await api.Server.CreateKeyAsync(account, KeyPolicy.Admin);
        for (var i = 0; i < Burst * 2; i++)
        {
            (await SignInAsync($"127.0.4.{i + 1}", key.AccessKeyId, "wrong")).AssertError(403, "UnrecognizedClientException");
        }

        var records = await AuditOfAsync(account);

        // The owner sees the attempts, but no more of them than the limit: failures from many addresses cannot bury
        // the account's audit log (the rest are audited host-wide).
        var signIns = records.Where(r => r.Action == "console:SignIn").ToList();
        Assert.Equal(Burst, signIns.Count);
        Assert.All(signIns, r => Assert.Equal(key.AccessKeyId, r.AccessKeyId));
        Assert.All(signIns, r => Assert.Equal((403, "UnrecognizedClientException"), (r.StatusCode, r.ErrorCode)));
    }

    [Fact]
    public async Task AConsoleCallRefusedForItsCsrfToken_IsAuditedUnderTheSessionsKeyAndAccount()
    {
        const string account = "222200000004";
        var key = await api.Server.CreateKeyAsync(account, KeyPolicy.Admin);
        var cookies = new CookieContainer();
        using var browser = SourceAddressClient.Create(api.Server.BaseAddress, "127.0.5.1", cookies);
        (await ApiServer.SendAsync(browser, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();

        var forged = await ApiServer.SendAsync(browser, new HttpRequestMessage(HttpMethod.Put, Paths.Meshes)
        {
            Content = JsonContent.Create(new { meshName = "no-token" }),
        });

        forged.AssertError(403, "ForbiddenException");
        var record = Assert.Single(await AuditOfAsync(account), r => r.RequestId == forged.RequestId);
        Assert.Equal(("appmesh:CreateMesh", key.AccessKeyId, 403), (record.Action, record.AccessKeyId, record.StatusCode));
    }

    [Fact]
    public async Task OneKeysSignIns_EndItsOwnOldestSession_AndNoOtherKeys()
    {
        var other = await api.Server.CreateKeyAsync("222200000005", KeyPolicy.Admin);
        var key = await api.Server.CreateKeyAsync("222200000005", KeyPolicy.Admin);
        using var others = await SignedInAsync("127.0.6.1", other);
        var sessions = new List<HttpClient>();
        for (var i = 0; i < LowSignInLimits.SessionsPerKey + 1; i++)
        {
            sessions.Add(await SignedInAsync($"127.0.6.{i + 2}", key));
        }

        (await ApiServer.SendAsync(sessions[0], new HttpRequestMessage(HttpMethod.Get, Paths.Meshes))).AssertError(403, "UnrecognizedClientException");
        foreach (var later in sessions.Skip(1))
        {
            (await ApiServer.SendAsync(later, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes))).AssertOk();
        }

        (await ApiServer.SendAsync(others, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes))).AssertOk();
        sessions.ForEach(s => s.Dispose());
    }

    private async Task<ApiResponse> SignInAsync(string source, string keyId, string secret)
    {
        using var http = SourceAddressClient.Create(api.Server.BaseAddress, source);
        return await ApiServer.SendAsync(http, ConsoleClient.SignInRequest(keyId, secret));
    }

    private async Task<HttpClient> SignedInAsync(string source, IssuedKey key)
    {
        var http = SourceAddressClient.Create(api.Server.BaseAddress, source, new CookieContainer());
        (await ApiServer.SendAsync(http, ConsoleClient.SignInRequest(key.AccessKeyId, key.SecretAccessKey))).AssertOk();
        return http;
    }

    private async Task<IReadOnlyList<AuditRecordEntity>> AuditOfAsync(string account)
    {
        var audit = api.Server.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return await audit.ListAsync(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddSeconds(1), account, CancellationToken.None);
    }

    /// <summary>The API host with a burst of three failed sign-ins that does not refill during a test, and two sessions per key.</summary>
    public sealed class LowSignInLimits : IAsyncLifetime
    {
        public const int SessionsPerKey = 2;

        public ApiServer Server { get; } = new();

        public Task InitializeAsync()
        {
            Server.Settings["Mesh:Console:SignInBurst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Server.Settings["Mesh:Console:SignInsPerMinute"] = "0.001";
            Server.Settings["Mesh:Console:MaxSessionsPerKey"] = SessionsPerKey.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Server.InitializeAsync();
        }

        public Task DisposeAsync() => Server.DisposeAsync();
    }
}
