using Mesh.Api.Tests.Infrastructure;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Mesh.Api.Observability;
using Mesh.Api.WebConsole;
using Microsoft.Extensions.DependencyInjection;
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

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
