using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.Reliability;

/// <summary>
/// Reads while PostgreSQL is frozen (SIGSTOP: it accepts connections and answers nothing). Describe and List answer
/// ServiceUnavailableException at their deadline while the server is still frozen, many at once without starving the
/// thread pool (<c>/healthz</c> keeps answering), and read normally once it runs again. Authentication is off here so
/// that every call reaches the resource read itself; the access key's read is tested in <see cref="DatabaseOutageTests"/>.
/// Cloud Map's reads, the console's audit log and <c>/readyz</c> answer at their deadline the same way, each in its own
/// shape (issue14x).
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

    [Fact]
    public async Task CloudMapConsoleAndReadinessReads_AnswerAtTheDeadline_WhileTheServerIsFrozen_AndReadAgainAfterTheThaw()
    {
        var names = await CloudMapServiceAsync();
        var reads = new (string Operation, JsonObject Input)[]
        {
            ("GetNamespace", new JsonObject { ["Id"] = names.NamespaceId }),
            ("ListNamespaces", new JsonObject()),
            ("GetService", new JsonObject { ["Id"] = names.ServiceId }),
            ("ListServices", new JsonObject()),
            ("GetInstance", new JsonObject { ["ServiceId"] = names.ServiceId, ["InstanceId"] = "i-1" }),
            ("ListInstances", new JsonObject { ["ServiceId"] = names.ServiceId }),
            ("DiscoverInstances", new JsonObject { ["NamespaceName"] = names.Namespace, ["ServiceName"] = "web" }),
        };
        foreach (var (operation, input) in reads)
        {
            (await CloudMapAsync(operation, input)).AssertOk();
        }

        (await api.SendAsync(HttpMethod.Get, "/console/api/audit?limit=5")).AssertOk();
        Assert.Equal(200, (await ReadyAsync()).Status);

        using var abandoned = new AbandonedReads(api);
        var (answers, _) = await WhileFrozenAsync(() =>
        [
            .. reads.Select(r => CloudMapAsync(r.Operation, r.Input)),
            api.SendAsync(HttpMethod.Get, "/console/api/audit?limit=5"),
            ReadyAsync(),
        ]);

        // Cloud Map answers in its own (awsJson1.1) shape: the error named in __type as well as in the header.
        foreach (var answer in answers.Take(reads.Length))
        {
            AssertAnsweredAtTheDeadline(answer);
            Assert.Equal("ServiceUnavailableException", answer.Body?["__type"]?.GetValue<string>());
        }

        // The console's reads answer as the App Mesh API's do.
        AssertAnsweredAtTheDeadline(answers[reads.Length]);
        Assert.Null(answers[reads.Length].Body?["__type"]);

        // /readyz answers unready with why, rather than not at all.
        var ready = answers[reads.Length + 1];
        Assert.Equal(503, ready.Status);
        Assert.StartsWith("Unhealthy: PostgreSQL", ready.Message, StringComparison.Ordinal);

        // Each abandoned read was counted by what it read (a read that ended with a broken connection first is not abandoned).
        Assert.InRange(abandoned.Of("cloud_map"), 1, reads.Length);
        Assert.Equal(1, abandoned.Of("console"));
        Assert.Equal(1, abandoned.Of("readiness"));
        Assert.Equal(0, abandoned.Of("resource"));

        await AssertReadsAgainAsync(async () => await CloudMapAsync("GetService", new JsonObject { ["Id"] = names.ServiceId }));
        foreach (var (operation, input) in reads)
        {
            (await CloudMapAsync(operation, input)).AssertOk();
        }

        (await api.SendAsync(HttpMethod.Get, "/console/api/audit?limit=5")).AssertOk();
        Assert.Equal(200, (await ReadyAsync()).Status);
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
        await AssertReadsAgainAsync(() => api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "frozen")));
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh))).AssertOk();
    }

    private static async Task AssertReadsAgainAsync(Func<Task<ApiResponse>> read)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await read();
            if (answer.Status != 503 || attempt == 10)
            {
                answer.AssertOk();
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(ApiFailures.RetryAfterSeconds));
        }
    }

    /// <summary>An HTTP namespace of its own with service <c>web</c> and its instance <c>i-1</c>.</summary>
    private async Task<(string Namespace, string NamespaceId, string ServiceId)> CloudMapServiceAsync()
    {
        var name = $"frozen-{Guid.NewGuid():N}"[..20];
        (await CloudMapAsync("CreateHttpNamespace", new JsonObject { ["Name"] = name })).AssertOk();
        var listed = (await CloudMapAsync("ListNamespaces", new JsonObject())).AssertOk();
        var namespaceId = listed.Body!["Namespaces"]!.AsArray().Single(n => n!["Name"]!.GetValue<string>() == name)!["Id"]!.GetValue<string>();
        var service = (await CloudMapAsync("CreateService", new JsonObject { ["Name"] = "web", ["NamespaceId"] = namespaceId })).AssertOk();
        var serviceId = service.Body!["Service"]!["Id"]!.GetValue<string>();
        (await CloudMapAsync("RegisterInstance", new JsonObject
        {
            ["ServiceId"] = serviceId,
            ["InstanceId"] = "i-1",
            ["Attributes"] = new JsonObject { ["AWS_INSTANCE_IPV4"] = "10.0.0.1", ["AWS_INSTANCE_PORT"] = "8080" },
        })).AssertOk();
        return (name, namespaceId, serviceId);
    }

    private Task<ApiResponse> CloudMapAsync(string operation, JsonObject input)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(input.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "Route53AutoNaming_v20170314." + operation);
        return ApiServer.SendAsync(api.Client, request);
    }

    /// <summary><c>/readyz</c>'s status, its text as the message.</summary>
    private async Task<ApiResponse> ReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = api.BaseAddress };
        using var response = await probe.GetAsync("/readyz");
        return new ApiResponse((int)response.StatusCode, null, null, new JsonObject { ["message"] = (await response.Content.ReadAsStringAsync()).Trim() });
    }

    /// <summary>Counts <c>mesh.api.read.abandoned</c> of the fixture's host (its own meter factory) by the <c>read</c> tag.</summary>
    private sealed class AbandonedReads : IDisposable
    {
        private readonly ConcurrentDictionary<string, long> counts = new(StringComparer.Ordinal);
        private readonly MeterListener listener = new();

        public AbandonedReads(ApiServer api)
        {
            var meters = api.Services.GetRequiredService<IMeterFactory>();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "mesh.api.read.abandoned")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "read")
                    {
                        counts.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                    }
                }
            });
            listener.Start();
        }

        public long Of(string read) => counts.GetValueOrDefault(read);

        public void Dispose() => listener.Dispose();
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
