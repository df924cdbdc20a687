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
        var services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
        var meterName = TestMeters.UniqueName();
        using var metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), meterName);
        long unreachable = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == "mesh.api.proxy_status.unreachable")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref unreachable, value));
        listener.Start();

        // A port that was free a moment ago: nothing listens there, so the connection is refused.
        var closed = $"http://127.0.0.1:{FreePort()}";
        var options = Options.Create(new ConsoleOptions { ProxyStatusUrls = [closed], ProxyStatusTimeout = TimeSpan.FromSeconds(5) });
        var reader = new ProxyStatusReader(services.GetRequiredService<IHttpClientFactory>(), options, Options.Create(new MeshApiOptions()), metrics,
            NullLogger<ProxyStatusReader>.Instance);

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(closed, named!["url"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(named["error"]!.GetValue<string>()));
        Assert.Equal(1, Interlocked.Read(ref unreachable));
    }

    /// <summary>
    /// A <c>dns+http://</c> URL stands for every address its host resolves to (a Kubernetes headless Service's ready
    /// pods): each is read as a replica of its own, asked for its own proxies only, and one that does not answer is named.
    /// Two replicas here are one server on two loopback addresses, answering with a proxy named by the address asked.
    /// </summary>
    [Fact]
    public async Task ADnsUrl_ReadsEveryAddressOfItsHost_AsAReplicaOfItsOwn()
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.Urls.Add($"http://127.0.0.1:{port}");
        app.Urls.Add($"http://127.0.0.2:{port}");
        var queries = new System.Collections.Concurrent.ConcurrentBag<string>();
        app.MapGet("/proxy-status", (HttpContext context) =>
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
        await app.StartAsync();

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.Urls.Add($"http://127.0.0.1:{port}");
        app.MapGet("/proxy-status", () => Results.Json(new
        {
            proxies = new[] { new { replica = "local", streamId = 7, resource = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web" } },
        }));
        await app.StartAsync();
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
    public async Task ADnsUrl_WhoseHostResolvesToNothing_IsNamedAsUnreachable()
    {
        var services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
        using var metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), TestMeters.UniqueName());
        var url = "dns+http://mesh-xds-admin.invalid:18001";
        var options = Options.Create(new ConsoleOptions { ProxyStatusUrls = [url], ProxyStatusTimeout = TimeSpan.FromSeconds(5) });
        var reader = new ProxyStatusReader(services.GetRequiredService<IHttpClientFactory>(), options, Options.Create(new MeshApiOptions()), metrics,
            NullLogger<ProxyStatusReader>.Instance);

        var report = await reader.ReadAsync("111122223333", "demo", CancellationToken.None);

        Assert.Empty(report["proxies"]!.AsArray());
        var named = Assert.Single(report["unreachable"]!.AsArray());
        Assert.Equal(url, named!["url"]!.GetValue<string>());
        Assert.StartsWith("mesh-xds-admin.invalid could not be resolved: ", named["error"]!.GetValue<string>());
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
