using System.Net;
using System.Net.Sockets;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The raw limit's second form (<see cref="RawLimit.Receive"/>): clients that send a proxy's requests to the plain
/// server, which reads them all before it answers the stream's first message, and one ACK per push afterwards.
/// </summary>
public class RawWithRequestsTests
{
    private static readonly byte[] Request = new DiscoveryRequest
    {
        Node = RealisticNode.Build("mesh/fleet/virtualNode/client-0", "client-0"),
        TypeUrl = TypeUrls.Route,
        ResourceNames = { "route-a" },
    }.ToByteArray();

    private static readonly byte[] Ack = new DiscoveryRequest
    {
        Node = RealisticNode.Build("mesh/fleet/virtualNode/client-0", "client-0"),
        TypeUrl = TypeUrls.Route,
        VersionInfo = "v2",
        ResponseNonce = "n2",
        ResourceNames = { "route-a" },
    }.ToByteArray();

    [Fact]
    public async Task ServerReadsEveryConnectRequestAndEveryAck()
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        await using var app = RawLimit.Build(url.ToString());
        await app.StartAsync();
        var requests = new ProxyRequests([Request, Request, Request], Ack);
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 3).Select(_ => new RawLimit.Client(url, requests)).ToList();
        var loops = clients.Select(c => c.RunAsync(30_000, stop.Token)).ToList();

        await Task.WhenAll(clients.Select(c => c.Opened.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(9, await RawLimit.Client.ReceivedAsync(url));

        await RawLimit.Client.PushAsync(url, 1000);
        await Fleet.WaitAsync(() => clients.All(c => c.Pushes == 1), TimeSpan.FromSeconds(60), "the push");
        await Fleet.WaitAsync(() => RawLimit.Client.ReceivedAsync(url).GetAwaiter().GetResult() == 12, TimeSpan.FromSeconds(60), "the ACKs");

        await stop.CancelAsync();
        await Task.WhenAll(loops);
        clients.ForEach(c => c.Dispose());
        await app.StopAsync();
    }

    [Fact]
    public void RequestsCarryTheConnectCountAndFirstSizeToTheServer()
    {
        var requests = new ProxyRequests([Request, new byte[300]], Ack);

        var headers = requests.Headers(61_000);

        Assert.Equal("2", headers.GetValue(RawLimit.RequestsHeader));
        Assert.Equal("61000", headers.GetValue(RawLimit.FirstSizeHeader));
        Assert.Equal(Request.Length + 300, requests.ConnectBytes);
    }

    [Fact]
    public void RecorderKeepsTheConnectsRequestsThenTheLastAck()
    {
        var recorder = new RequestRecorder();
        recorder.Add([1], configured: false);
        recorder.Add([2, 2], configured: false);
        Assert.Null(recorder.LastAck);

        recorder.Add([3], configured: true);
        recorder.Add([4, 4, 4], configured: true);
        // A reconnect's requests after the first configuration are not the connect's.
        recorder.Add([5], configured: false);

        Assert.Equal([1, 2], recorder.Connect.Select(r => r.Length));
        Assert.Equal([4, 4, 4], recorder.LastAck);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
