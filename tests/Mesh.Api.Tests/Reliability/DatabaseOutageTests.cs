using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.Reliability;

/// <summary>
/// PostgreSQL restarted, stopped, crashed and frozen under clients that keep writing. Each time: no acknowledged
/// write is lost or unaudited, every failure is a clean ServiceUnavailableException (never a 500, a truncated
/// answer or a hang), and the API recovers by itself once the database is back.
/// </summary>
public sealed class DatabaseOutageTests(DatabaseOutageTests.OutageApi fixture) : IClassFixture<DatabaseOutageTests.OutageApi>
{
    private const int Writers = 4;
    private readonly ApiServer api = fixture;

    private PostgresServer Database => api.Database;

    [Fact]
    public async Task Restart_UnderWriters()
    {
        var loop = await WriterLoop.StartAsync(api, Writers);
        await Database.RestartAsync();
        await FinishAsync(loop);
    }

    [Fact]
    public async Task StoppedForSeconds_UnderWriters_AnswersServiceUnavailableWithRetryAfter()
    {
        var loop = await WriterLoop.StartAsync(api, Writers);
        await Database.StopAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            using var request = new HttpRequestMessage(HttpMethod.Get, Paths.Meshes);
            using var response = await api.Client.SendAsync(request);
            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal("ServiceUnavailableException", response.Headers.GetValues("x-amzn-ErrorType").Single());
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Contains("The database is unavailable", body["message"]!.GetValue<string>());
        }
        finally
        {
            await Database.StartAsync();
        }

        await FinishAsync(loop, expectFailures: true);
    }

    [Fact]
    public async Task Crash_UnderWriters()
    {
        var loop = await WriterLoop.StartAsync(api, Writers);
        await Database.CrashAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await Database.StartAsync();
        await FinishAsync(loop, expectFailures: true);
    }

    [Fact]
    public async Task Frozen_UnderWriters_CallsEndAtTheDeadlineWithServiceUnavailable()
    {
        var loop = await WriterLoop.StartAsync(api, Writers);
        await Database.PauseAsync();
        try
        {
            // Longer than the API's deadline (OutageApi sets 3 s), so calls waiting on the frozen server must give up.
            await Task.Delay(TimeSpan.FromSeconds(7));
        }
        finally
        {
            await Database.ResumeAsync();
        }

        await FinishAsync(loop, expectFailures: true);
        Assert.Contains(loop.Outcomes, o => o.Message.Contains("did not finish within 3 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RefusedCallsDuringAnOutage_AreAuditedOnceTheDatabaseIsBack()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Database.StopAsync();
        ApiResponse refused;
        try
        {
            refused = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = "during-outage" });
            refused.AssertError(503, "ServiceUnavailableException");
        }
        finally
        {
            await Database.StartAsync();
        }

        var audit = api.Services.GetRequiredService<AuditLog>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await audit.FlushAsync(timeout.Token);
        var records = await audit.ListAsync(before, DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None);
        var record = Assert.Single(records, r => r.RequestId == refused.RequestId);
        Assert.Equal((503, "ServiceUnavailableException", "appmesh:CreateMesh"), (record.StatusCode, record.ErrorCode, record.Action));
    }

    private static async Task FinishAsync(WriterLoop loop, bool expectFailures = false)
    {
        // Recovered by itself: every writer gets acknowledged writes again, with nobody restarting the API.
        await loop.SucceededAsync(3 * Writers);
        await loop.StopAsync();

        loop.AssertEveryFailureIsClean();
        await loop.AssertNoAcknowledgedWriteLostAsync();
        if (expectFailures)
        {
            Assert.Contains(loop.Outcomes, o => o.Status == 503);
        }
    }

    public sealed class OutageApi : IAsyncLifetime
    {
        private readonly DedicatedApiServer server = new();

        public OutageApi() => server.Settings["Mesh:RequestTimeout"] = "00:00:03";

        public static implicit operator ApiServer(OutageApi fixture) => fixture.server;

        public Task InitializeAsync() => server.InitializeAsync();

        public Task DisposeAsync() => server.DisposeAsync();
    }
}
