using Mesh.Persistence;
using Mesh.Security;
using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.Security;

/// <summary>The per-account rate limit, and the audit log of mutating calls.</summary>
public sealed class AbuseAndAuditTests : IClassFixture<AbuseAndAuditTests.LowRateApi>
{
    private readonly ApiServer api;

    public AbuseAndAuditTests(LowRateApi api) => this.api = api;

    [Fact]
    public async Task OverTheRate_IsTooManyRequests_PerAccount()
    {
        var key = await api.CreateKeyAsync("777788889999", KeyPolicy.Admin);
        using var client = api.CreateClient(key);
        var responses = new List<ApiResponse>();
        for (var i = 0; i < 12; i++)
        {
            responses.Add(await api.SendAsync(client, HttpMethod.Get, Paths.Meshes));
        }

        Assert.Contains(responses, r => r.Status == 200);
        var throttled = responses.First(r => r.Status == 429);
        throttled.AssertError(429, "TooManyRequestsException");
        Assert.Contains("Account 777788889999 is over its limit", throttled.Message);
    }

    [Fact]
    public async Task MutatingCalls_AreAudited_WithOutcome()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var created = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = "audited" });
        created.AssertOk();
        var duplicate = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = "audited" });
        duplicate.AssertError(409, "ConflictException");
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh("audited"))).AssertOk();

        // A success is audited in its own transaction; a failure is queued and written right after.
        await api.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        var records = await api.Services.GetRequiredService<AuditLog>().ListAsync(before, DateTimeOffset.UtcNow.AddSeconds(1), ApiServer.AccountId, CancellationToken.None);
        var mine = records.Where(r => r.ResourceArn.EndsWith(":mesh/audited", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, r =>
        {
            Assert.Equal("appmesh:CreateMesh", r.Action);
            Assert.Equal(api.AdminKey.AccessKeyId, r.AccessKeyId);
        });
        Assert.Equal((200, ""), (mine[0].StatusCode, mine[0].ErrorCode));
        Assert.Equal((409, "ConflictException"), (mine[1].StatusCode, mine[1].ErrorCode));
        Assert.Equal(created.RequestId, mine[0].RequestId);
        Assert.Equal(duplicate.RequestId, mine[1].RequestId);
    }

    [Fact]
    public async Task CallsRefusedAtAuthentication_AreAudited_WithKeyReasonAndSource()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        var missing = await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Put, Paths.Meshes)
        {
            Content = new StringContent("""{"meshName":"unsigned"}""", System.Text.Encoding.UTF8, "application/json"),
        });
        missing.AssertError(403, "MissingAuthenticationTokenException");

        using var forged = new HttpClient(new SigningHandler("MKIAFORGEDKEY0000000", "not-a-secret", ApiServer.Region)) { BaseAddress = api.BaseAddress };
        var unknown = await api.SendAsync(forged, HttpMethod.Delete, Paths.Mesh("someone-elses"));
        unknown.AssertError(403, "UnrecognizedClientException");

        var audit = api.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(CancellationToken.None);
        var records = await audit.ListAsync(before, DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None);

        var first = Assert.Single(records, r => r.RequestId == missing.RequestId);
        Assert.Equal(("appmesh:CreateMesh", "", 403, "MissingAuthenticationTokenException", "127.0.0.1"),
            (first.Action, first.AccessKeyId, first.StatusCode, first.ErrorCode, first.SourceAddress));
        Assert.Equal(missing.Message, first.Message);

        var second = Assert.Single(records, r => r.RequestId == unknown.RequestId);
        Assert.Equal(("appmesh:DeleteMesh", "MKIAFORGEDKEY0000000", 403, "UnrecognizedClientException", "127.0.0.1"),
            (second.Action, second.AccessKeyId, second.StatusCode, second.ErrorCode, second.SourceAddress));
        Assert.Contains("is unknown or revoked", second.Message);
    }

    [Fact]
    public async Task AForgedKeyIdCutInsideACharacter_IsAudited_AndHoldsUpNoRecordAfterIt()
    {
        // 31 characters and an emoji: the key id column's 32 would cut the emoji's surrogate pair in half, which
        // Npgsql cannot encode; that record then failed its batch forever and every later record waited behind it.
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        var forged = await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes + "?X-Amz-Credential=" + new string('A', 31) + "%F0%9F%98%80"));
        Assert.Equal(403, forged.Status);
        var later = await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Delete, Paths.Mesh("later")));
        later.AssertError(403, "MissingAuthenticationTokenException");

        var audit = api.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var records = await audit.ListAsync(before, DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None);

        Assert.Equal(new string('A', 31), Assert.Single(records, r => r.RequestId == forged.RequestId).AccessKeyId);
        Assert.Single(records, r => r.RequestId == later.RequestId);
    }

    [Fact]
    public async Task ARecordTheDatabaseCannotTake_IsDropped_AndTheOthersOfItsBatchAreWritten()
    {
        // Past the bounding a request's values get: a record Npgsql cannot encode, queued between two good ones.
        var audit = api.Services.GetRequiredService<AuditLog>();
        var at = DateTimeOffset.UtcNow;
        AuditRecordEntity Record(string requestId, string message) => new()
        {
            At = at, AccountId = ApiServer.AccountId, AccessKeyId = "", Action = "appmesh:Test", ResourceArn = "", RequestId = requestId,
            SourceAddress = "127.0.0.1", StatusCode = 400, ErrorCode = "BadRequestException", Message = message,
        };
        var tag = Guid.NewGuid().ToString("N")[..12];
        audit.Enqueue(Record($"before-{tag}", "fine"));
        audit.Enqueue(Record($"bad-{tag}", "half an emoji \uD83D"));
        audit.Enqueue(Record($"after-{tag}", "fine"));

        await audit.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var records = await audit.ListAsync(at.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None);

        Assert.Contains(records, r => r.RequestId == $"before-{tag}");
        Assert.Contains(records, r => r.RequestId == $"after-{tag}");
        Assert.DoesNotContain(records, r => r.RequestId == $"bad-{tag}");
    }

    [Theory]
    [InlineData("A\\u0000B")]
    [InlineData("MKIA\\u00e9")]
    public async Task ConsoleSignIn_WithAKeyIdNoKeyCanHave_IsRefusedLikeAnUnknownKey(string keyId)
    {
        // A NUL reached PostgreSQL, which refuses it in text: a 500.
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        using var response = await unsigned.PostAsync("/console/session", new StringContent(
            "{\"accessKeyId\":\"" + keyId + "\",\"secretAccessKey\":\"x\"}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
    }

    public sealed class LowRateApi : IAsyncLifetime
    {
        private readonly ApiServer server = new();

        public LowRateApi()
        {
            // Low enough that twelve back-to-back requests must exceed it, whatever the machine's speed.
            server.Settings["Mesh:Auth:RequestsPerSecond"] = "1";
            server.Settings["Mesh:Auth:Burst"] = "5";
        }

        public static implicit operator ApiServer(LowRateApi fixture) => fixture.server;

        public Task InitializeAsync() => server.InitializeAsync();

        public Task DisposeAsync() => server.DisposeAsync();
    }
}
