using Mesh.Api.Tests.Infrastructure;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Mesh.Api.Observability;
using Mesh.Api.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>An xDS server whose proxy status cannot be read is shown as unreachable, logged and counted, never a failure of the page.</summary>
public sealed class ProxyStatusReaderTests
{
    [Fact]
    public async Task AnXdsServerThatDoesNotAnswer_IsNamedAndCounted()
    {
        using var counted = new UnreachableCount();

        // A port that was free a moment ago: nothing listens there, so the connection is refused.
        var closed = $"http://127.0.0.1:{FreePort()}";
        var reader = counted.Reader(closed);

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(closed, named!["url"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(named["error"]!.GetValue<string>()));
        Assert.Equal(1, counted.Value);
    }

    /// <summary>A report whose members are not what a report holds gives what it has of the right shape.</summary>
    [Fact]
    public async Task AReportOfTheWrongShape_GivesTheProxiesItHasOfTheRightShape()
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1", "127.0.0.2"], (HttpContext context) => context.Connection.LocalIpAddress!.ToString() == "127.0.0.1"
            ? Results.Text("""{"proxies": 5, "unreachable": "none"}""", "application/json")
            : Results.Text("""{"proxies": [1, "x", null, {"replica": "b", "streamId": 2, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web"}], "unreachable": [7]}""", "application/json"));
        using var counted = new UnreachableCount();
        var reader = counted.Reader($"dns+http://xds-admin.test:{port}", (_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2") }));

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Equal("b", Assert.Single(report["proxies"]!.AsArray())!["replica"]!.GetValue<string>());
        Assert.Empty(report["unreachable"]!.AsArray());
    }

    /// <summary>
    /// A proxy's warnings not of the report's shape (a <c>null</c> or a number among <c>warningDetails</c>, which broke
    /// the console's map as it read each one's message, or a member that is not a list) are left out, and the rest given.
    /// </summary>
    [Fact]
    public async Task AProxysWarningsOfTheWrongShape_AreLeftOut_AndTheRestGiven()
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1"], () => Results.Text("""
            {"proxies": [
                {"replica": "a", "streamId": 1, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web",
                 "warnings": [null, "ghost", 5], "warningDetails": [null, 5, "x", {"kind": 1, "message": "m"}, {"kind": "missing_resource", "message": "ghost"}]},
                {"replica": "a", "streamId": 2, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/api",
                 "warnings": "ghost", "warningDetails": {"kind": "missing_resource", "message": "ghost"}}
            ]}
            """, "application/json"));
        using var counted = new UnreachableCount();

        var report = await counted.Reader($"http://127.0.0.1:{port}").ReadAsync("111122223333", "demo", CancellationToken.None);

        var proxies = report["proxies"]!.AsArray();
        Assert.Equal("""[{"kind":"missing_resource","message":"ghost"}]""", proxies[0]!["warningDetails"]!.ToJsonString());
        Assert.Equal("""["ghost"]""", proxies[0]!["warnings"]!.ToJsonString());
        Assert.False(proxies[1]!.AsObject().ContainsKey("warningDetails"));
        Assert.False(proxies[1]!.AsObject().ContainsKey("warnings"));
        Assert.Equal("web", proxies[0]!["resource"]!.GetValue<string>().Split('/')[^1]);
        Assert.Equal(0, counted.Value);
    }

    /// <summary>
    /// A proxy's types not of the report's shape (a <c>null</c> or a number where a type's status is, which the map and
    /// the shift page's proxy state read each one's <c>sync</c> of and failed on, or a member that is not an object)
    /// are left out, and the rest given.
    /// </summary>
    [Fact]
    public async Task AProxysTypesOfTheWrongShape_AreLeftOut_AndTheRestGiven()
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1"], () => Results.Text("""
            {"proxies": [
                {"replica": "a", "streamId": 1, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web",
                 "types": {"cds": null, "eds": 5, "rds": {"sync": "SYNCED", "resources": 1, "acked": 1}}},
                {"replica": "a", "streamId": 2, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/api", "types": [null]}
            ]}
            """, "application/json"));
        using var counted = new UnreachableCount();

        var report = await counted.Reader($"http://127.0.0.1:{port}").ReadAsync("111122223333", "demo", CancellationToken.None);

        var proxies = report["proxies"]!.AsArray();
        Assert.Equal("""{"rds":{"sync":"SYNCED","resources":1,"acked":1}}""", proxies[0]!["types"]!.ToJsonString());
        Assert.False(proxies[1]!.AsObject().ContainsKey("types"));
        Assert.Equal(0, counted.Value);
    }

    /// <summary>
    /// A server answering JSON that is not a report's object (an array, say, or null, which was taken for a report of
    /// no proxies), or one naming a member twice (a JsonObject parsed from it threw an ArgumentException only when
    /// read, after the replica's read was done), is named, not a failure of the page.
    /// </summary>
    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("""{"proxies": [], "proxies": []}""")]
    [InlineData("""{"proxies": [{"replica": "b", "streamId": 2, "resource": "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", "resource": "x"}]}""")]
    public async Task AnXdsServerAnsweringJsonThatIsNotAReport_IsNamedAndCounted(string answer)
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1"], () => Results.Text(answer, "application/json"));
        using var counted = new UnreachableCount();
        var url = $"http://127.0.0.1:{port}";

        var report = await counted.Reader(url).ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        Assert.Equal(url, Assert.Single(report["unreachable"]!.AsArray())!["url"]!.GetValue<string>());
        Assert.Equal(1, counted.Value);
    }

    /// <summary>
    /// A URL that is not an http one (its scheme left out, so its host is taken for one) is named, not a failure of the
    /// page: HttpClient refuses the scheme with a NotSupportedException.
    /// </summary>
    [Theory]
    [InlineData("mesh-xds-admin:18001")]
    [InlineData("ftp://mesh-xds-admin:18001")]
    public async Task AUrlOfAnotherScheme_IsNamedAndCounted(string url)
    {
        using var counted = new UnreachableCount();

        var report = await counted.Reader(url).ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(url, named!["url"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(named["error"]!.GetValue<string>()));
        Assert.Equal(1, counted.Value);
    }

    /// <summary>
    /// Replicas are read at once: here the first replica (127.0.0.1) answers only after the second has been asked, which
    /// a reader asking one after another would not do before the first's timeout.
    /// </summary>
    [Fact]
    public async Task Replicas_AreReadAtOnce()
    {
        var port = FreePort();
        var secondAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await ReplicasAsync(port, ["127.0.0.1", "127.0.0.2"], async (HttpContext context) =>
        {
            var replica = context.Connection.LocalIpAddress!.ToString();
            if (replica == "127.0.0.2")
            {
                secondAsked.TrySetResult();
            }
            else
            {
                await secondAsked.Task.WaitAsync(context.RequestAborted);
            }

            return Results.Json(new { proxies = new[] { new { replica, streamId = 1, resource = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web" } } });
        });
        using var counted = new UnreachableCount();
        var reader = counted.Reader($"dns+http://xds-admin.test:{port}", (_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2") }));

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Equal(["127.0.0.1", "127.0.0.2"], report["proxies"]!.AsArray().Select(p => p!["replica"]!.GetValue<string>()));
        Assert.Empty(report["unreachable"]!.AsArray());
        Assert.Equal(0, counted.Value);
    }

    /// <summary>
    /// A <c>dns+http://</c> URL stands for every address its host resolves to (a Kubernetes headless Service's
    /// pods): each is read as a replica of its own, asked for its own proxies only, and one that does not answer is named.
    /// Two replicas here are one server on two loopback addresses, answering with a proxy named by the address asked.
    /// </summary>
    [Fact]
    public async Task ADnsUrl_ReadsEveryAddressOfItsHost_AsAReplicaOfItsOwn()
    {
        var port = FreePort();
        var queries = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var app = await ReplicasAsync(port, ["127.0.0.1", "127.0.0.2"], (HttpContext context) =>
        {
            queries.Add(context.Request.QueryString.Value ?? "");
            var replica = context.Connection.LocalIpAddress!.ToString();
            return Results.Json(new
            {
                proxies = new[]
                {
                    new { replica, streamId = 1, resource = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web" },
                },
                unreachable = Array.Empty<object>(),
            });
        });

        var services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
        using var metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), TestMeters.UniqueName());
        var options = Options.Create(new ConsoleOptions { ProxyStatusUrls = [$"dns+http://xds-admin.test:{port}"], ProxyStatusTimeout = TimeSpan.FromSeconds(5) });
        var asked = new List<string>();
        var reader = new ProxyStatusReader(services.GetRequiredService<IHttpClientFactory>(), options, Options.Create(new MeshApiOptions()), metrics,
            NullLogger<ProxyStatusReader>.Instance,
            (host, _) =>
            {
                asked.Add(host);
                return Task.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.3") });
            });

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Equal(["xds-admin.test"], asked);
        Assert.Equal(["127.0.0.1", "127.0.0.2"], report["proxies"]!.AsArray().Select(p => p!["replica"]!.GetValue<string>()).Order());
        Assert.Equal(["?local=true", "?local=true"], queries);
        var missing = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal($"http://127.0.0.3:{port}", missing!["url"]!.GetValue<string>());
        Assert.True(report["configured"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ADnsUrl_IsResolvedByTheSystemResolver_WhenNoneIsGiven()
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1"], () => Results.Json(new
        {
            proxies = new[] { new { replica = "local", streamId = 7, resource = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web" } },
        }));
        var services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
        using var metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), TestMeters.UniqueName());
        var options = Options.Create(new ConsoleOptions { ProxyStatusUrls = [$"dns+http://localhost:{port}"], ProxyStatusTimeout = TimeSpan.FromSeconds(5) });
        var reader = new ProxyStatusReader(services.GetRequiredService<IHttpClientFactory>(), options, Options.Create(new MeshApiOptions()), metrics,
            NullLogger<ProxyStatusReader>.Instance);

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        // localhost is 127.0.0.1 here (and ::1 too on some machines, where nothing listens: named unreachable).
        Assert.Equal(7, Assert.Single(report["proxies"]!.AsArray())!["streamId"]!.GetValue<int>());
        Assert.All(report["unreachable"]!.AsArray(), u => Assert.Equal($"http://[::1]:{port}", u!["url"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ADnsUrl_WhoseHostCannotBeResolved_IsNamedAndCounted()
    {
        using var counted = new UnreachableCount();
        var url = "dns+http://mesh-xds-admin.invalid:18001";

        var report = await counted.Reader(url).ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(url, named!["url"]!.GetValue<string>());
        Assert.StartsWith("mesh-xds-admin.invalid could not be resolved: ", named["error"]!.GetValue<string>());
        Assert.Equal(1, counted.Value);
    }

    /// <summary>A headless Service with no pod behind it answers with no address: nothing to read, and that is said.</summary>
    [Fact]
    public async Task ADnsUrl_WhoseHostResolvesToNoAddress_IsNamedAndCounted()
    {
        using var counted = new UnreachableCount();
        var url = "dns+http://mesh-xds-admin.mesh-system.svc:18001";

        var report = await counted.Reader(url, (_, _) => Task.FromResult(Array.Empty<IPAddress>())).ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(url, named!["url"]!.GetValue<string>());
        Assert.Equal("mesh-xds-admin.mesh-system.svc resolves to no address: there is no xDS replica to ask", named["error"]!.GetValue<string>());
        Assert.Equal(1, counted.Value);
    }

    /// <summary>
    /// A dns+ URL's lookup and its replicas' reads share one <c>ProxyStatusTimeout</c>: a lookup and a read each shorter
    /// than it but longer together name the replica unreachable (each had a time-out of its own, so the page waited
    /// up to twice the setting).
    /// </summary>
    [Fact]
    public async Task ADnsUrlsLookupAndItsReplicasReads_ShareOneTimeout()
    {
        var port = FreePort();
        await using var app = await ReplicasAsync(port, ["127.0.0.1"], async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1200));
            return Results.Json(new { proxies = Array.Empty<object>() });
        });
        using var counted = new UnreachableCount(TimeSpan.FromSeconds(2));
        var reader = counted.Reader($"dns+http://xds-admin.test:{port}", async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1200), ct);
            return [IPAddress.Loopback];
        });

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Equal($"http://127.0.0.1:{port}", Assert.Single(report["unreachable"]!.AsArray())!["url"]!.GetValue<string>());
        Assert.Equal(1, counted.Value);
    }

    /// <summary>A reader of one configured URL, and what it counted in <c>mesh.api.proxy_status.unreachable</c>.</summary>
    private sealed class UnreachableCount : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
        private readonly MeterListener _listener = new();
        private readonly ApiMetrics _metrics;
        private long _value;

        private readonly TimeSpan? _timeout;

        /// <param name="timeout">The reader's <c>ProxyStatusTimeout</c>; 5 s unless given.</param>
        public UnreachableCount(TimeSpan? timeout = null)
        {
            _timeout = timeout;
            var meterName = TestMeters.UniqueName();
            _metrics = new ApiMetrics(_services.GetRequiredService<IMeterFactory>(), meterName);
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meterName && instrument.Name == "mesh.api.proxy_status.unreachable")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _value, value));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public ProxyStatusReader Reader(string url, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) =>
            new(_services.GetRequiredService<IHttpClientFactory>(),
                Options.Create(new ConsoleOptions { ProxyStatusUrls = [url], ProxyStatusTimeout = _timeout ?? TimeSpan.FromSeconds(5) }),
                Options.Create(new MeshApiOptions()),
                _metrics,
                NullLogger<ProxyStatusReader>.Instance,
                resolve);

        public void Dispose()
        {
            _listener.Dispose();
            _metrics.Dispose();
            _services.Dispose();
        }
    }

    /// <summary>An xDS server's admin port stand-in on <paramref name="addresses"/>, answering proxy status with <paramref name="answer"/>.</summary>
    private static async Task<WebApplication> ReplicasAsync(int port, string[] addresses, Delegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        foreach (var address in addresses)
        {
            app.Urls.Add($"http://{address}:{port}");
        }

        app.MapGet("/proxy-status", answer);
        await app.StartAsync();
        return app;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
