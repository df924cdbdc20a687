using Mesh.Api.Protocol;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;

namespace Mesh.Api.Tests.Reliability;

/// <summary>
/// Reads while PostgreSQL is frozen (SIGSTOP: it accepts connections and answers nothing). Describe and List answer
/// ServiceUnavailableException at their deadline while the server is still frozen, many at once without starving the
/// thread pool (<c>/healthz</c> keeps answering), and read normally once it runs again. Authentication is off here so
/// that every call reaches the resource read itself; the access key's read is tested in <see cref="DatabaseOutageTests"/>.
/// </summary>
public sealed class FrozenReadTests(FrozenReadTests.FrozenReadApi fixture) : IClassFixture<FrozenReadTests.FrozenReadApi>
{
    /// <summary>The fixture's deadline (Mesh:RequestTimeout).</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the server stays frozen: well past the deadline, so that a call that answers while it is frozen answered
    /// at its deadline, not at the thaw (before, reads answered only once the server ran again).
    /// </summary>
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(15);

    private const string ReadAnswer = "The request did not finish within 3 s because the database did not answer in time. Retry it.";

    private readonly ApiServer api = fixture;

    [Fact]
    public async Task DescribeAndList_AnswerAtTheDeadline_WhileTheServerIsFrozen_AndReadAgainAfterTheThaw()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("frozen");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "frozen"))).AssertOk();
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh))).AssertOk();

        var (answers, _) = await WhileFrozenAsync(() =>
        [
            api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "frozen")),
            api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh)),
        ]);

        foreach (var answer in answers)
        {
            AssertAnsweredAtTheDeadline(answer);
        }

        await AssertReadsAgainAsync(mesh.Mesh);
    }

    [Fact]
    public async Task SixtyFourDescribesAtOnce_AllAnswerAtTheDeadline_AndHealthzKeepsAnswering()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("frozen");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "frozen"))).AssertOk();

        var (answers, healthz) = await WhileFrozenAsync(() =>
            Enumerable.Range(0, 64).Select(_ => api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "frozen"))).ToArray());

        Assert.Equal(64, answers.Count);
        foreach (var answer in answers)
        {
            AssertAnsweredAtTheDeadline(answer);
        }

        // /healthz was asked every 250 ms through the freeze: every probe answered 200 (none was still waiting at the thaw).
        Assert.NotEmpty(healthz);
        Assert.All(healthz, status => Assert.Equal(200, status));

        await AssertReadsAgainAsync(mesh.Mesh);
    }

    /// <summary>
    /// Freezes the server, sends <paramref name="calls"/>, and keeps it frozen for <see cref="Freeze"/> while probing
    /// <c>/healthz</c>; fails if any call or probe had not answered by then (it would answer only at the thaw).
    /// </summary>
    private async Task<(IReadOnlyList<ApiResponse> Answers, IReadOnlyList<int> Healthz)> WhileFrozenAsync(Func<Task<ApiResponse>[]> calls)
    {
        using var probe = new HttpClient { BaseAddress = api.BaseAddress };
        var healthz = new List<Task<HttpResponseMessage>>();
        Task<ApiResponse>[] sent;
        bool allAnsweredWhileFrozen;
        await api.Database.PauseAsync();
        try
        {
            // The freeze's last second is left for the check below; nothing is timed, the server is only held frozen.
            using var lastSecond = new CancellationTokenSource(Freeze - TimeSpan.FromSeconds(1));
            sent = calls();
            while (!lastSecond.IsCancellationRequested)
            {
                healthz.Add(probe.GetAsync("/healthz"));
                await Task.Delay(250);
            }

            allAnsweredWhileFrozen = sent.All(c => c.IsCompleted) && healthz.All(h => h.IsCompleted);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        finally
        {
            await api.Database.ResumeAsync();
        }

        var answers = await Task.WhenAll(sent);
        var statuses = (await Task.WhenAll(healthz)).Select(r => (int)r.StatusCode).ToList();
        Assert.True(allAnsweredWhileFrozen,
            $"Not every call answered while the server was frozen for {Freeze.TotalSeconds} s (deadline {Deadline.TotalSeconds} s): "
            + string.Join(", ", answers.Select(a => a.Status)));
        return (answers, statuses);
    }

    /// <summary>
    /// ServiceUnavailableException, saying the database did not answer in time; or, for a read that shared a multiplexed
    /// connection with one cancelled at the same deadline (Npgsql then breaks that connection), that the database is
    /// unavailable: the same answer a broken connection always got.
    /// </summary>
    private static void AssertAnsweredAtTheDeadline(ApiResponse answer)
    {
        answer.AssertError(503, "ServiceUnavailableException");
        Assert.True(answer.Message == ReadAnswer || answer.Message.StartsWith("The database is unavailable;", StringComparison.Ordinal), answer.Message);
    }

    /// <summary>After the thaw the same API reads again, with no restart (a retry on 503 while the server comes back, as SDKs do).</summary>
    private async Task AssertReadsAgainAsync(string mesh)
    {
        for (var attempt = 1; ; attempt++)
        {
            var described = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "frozen"));
            if (described.Status != 503 || attempt == 10)
            {
                described.AssertOk();
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(ApiFailures.RetryAfterSeconds));
        }

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh))).AssertOk();
    }

    public sealed class FrozenReadApi : IAsyncLifetime
    {
        private readonly DedicatedApiServer server = new();

        public FrozenReadApi()
        {
            server.Settings["Mesh:RequestTimeout"] = "00:00:03";
            server.Settings["Mesh:Auth:Mode"] = "None";
        }

        public static implicit operator ApiServer(FrozenReadApi fixture) => fixture.server;

        public Task InitializeAsync() => server.InitializeAsync();

        public Task DisposeAsync() => server.DisposeAsync();
    }
}
