using Grpc.Core;
using Grpc.Net.Client;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A server that stops while it cannot send (a starved machine) still ends every stream with its own UNAVAILABLE
/// once the sends resume, never with the client's "the server closed the connection": each connection's GOAWAY,
/// stream trailers and close then reach the proxy in one burst, and the trailers must be in it, ahead of the close.
/// </summary>
public sealed class SlowStopTests : IAsyncLifetime
{
    private readonly HeldSends _sends = new();
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync(services: _sends.AddTo);
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync()
    {
        _sends.Release();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Every_Stream_Ends_With_Unavailable_When_The_Server_Stops_While_It_Cannot_Send()
    {
        var channels = Enumerable.Range(0, 20).Select(_ => GrpcChannel.ForAddress(_host.GrpcUri)).ToList();
        var clients = channels.Select(c => AdsClient.Connect(c, MeshRows.NodeId("web"))).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.SendAsync(TypeUrls.Cluster);
                await client.AckAsync(await client.NextAsync());
            }

            _sends.Hold();
            _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

            // Long enough for every stream to end and for Kestrel to close each connection behind it (its heartbeat,
            // which wakes a closing connection, is 1 s); all of it is then sent at once.
            await Task.Delay(TimeSpan.FromSeconds(3));
            _sends.Release();

            // Everything arrives in one burst, where the .NET client has a race of its own (StopEndings; seen in 2 of
            // 20 streams once in CI): every connection's trailers are also checked on the wire below.
            var endings = await Task.WhenAll(clients.Select(c => c.ClosedAsync()));
            StopEndings.AssertEndedByTheServer(endings);

            // On the wire: every connection sent its stream's trailers (END_STREAM), and then closed.
            List<List<string>> Connections() => _sends.Frames.Select(f => { lock (f) { return f.ToList(); } }).Where(f => f.Contains("HEADERS 1")).ToList();
            await Eventually.TrueAsync(() => Connections().All(f => f[^1] == "FIN"));
            var connections = Connections();
            Assert.Equal(clients.Count, connections.Count);
            Assert.All(connections, frames => Assert.Contains("HEADERS END_STREAM 1", frames));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            channels.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// A connection with more than the socket transport's write buffer unsent when the server stops (a large push to
    /// a proxy that is slow to read, or a machine too busy to send): with Kestrel's 64 KiB limit the push's write is
    /// still waiting on the transport, and the stop resets the stream (CANCEL) with the push cut short and no
    /// trailers. The host lifts the limit (<c>Xds:TransportWriteBufferBytes</c>; HTTP/2 flow control bounds what a
    /// proxy can be sent unread), so the push, the trailers and the close go out whole and in order.
    /// </summary>
    [Fact]
    public async Task Every_Stream_Ends_With_Unavailable_When_The_Server_Stops_With_A_Large_Push_Unsent()
    {
        // Envoy's HTTP/2 windows are 256 MiB by default: a proxy lets the server send a whole push before it reads.
        var channels = Enumerable.Range(0, 5).Select(_ => GrpcChannel.ForAddress(_host.GrpcUri, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = 4 << 20 },
        })).ToList();
        var clients = channels.Select(c => AdsClient.Connect(c, MeshRows.NodeId("web"))).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.SendAsync(TypeUrls.Cluster);
                await client.AckAsync(await client.NextAsync());
            }

            // The push: the proxy's service gets hundreds of backends, so its clusters are more than the transport's
            // 64 KiB write buffer, and the machine cannot send while the server stops.
            _sends.Hold();
            var mesh = new MeshRows("demo");
            var backends = Enumerable.Range(0, 400).Select(i => $"svc{i}.demo.local").ToArray();
            for (var i = 0; i < backends.Length; i++)
            {
                mesh.Node($"backend{i}", $"backend{i}.demo.local").ServiceByNode(backends[i], $"backend{i}");
            }

            mesh.Node("web", "10.0.0.1", backends: backends);
            _host.Producer.SetMesh(mesh.Key, mesh.Graph);
            await Eventually.TrueAsync(() => _sends.Unsent.Count(u => u >= 64 * 1024) == clients.Count);

            _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await Task.Delay(TimeSpan.FromSeconds(3));
            _sends.Release();

            // Judged on the wire: the .NET client itself fails a stream whose response it has received but not yet
            // read when the connection's close arrives in the same burst (it reports INTERNAL "the server closed the
            // connection" with every byte of the push, the trailers and the final GOAWAY received; Envoy's codec hands
            // each frame on as it parses it), so how these clients' calls end says nothing about the server here.
            List<List<string>> Connections() => _sends.Frames.Select(f => { lock (f) { return f.ToList(); } }).Where(f => f.Contains("HEADERS 1")).ToList();
            await Eventually.TrueAsync(() => Connections().Count(f => f[^1] == "FIN") == clients.Count);
            Assert.All(Connections(), frames =>
            {
                // The whole push and then the stream's trailers, not a reset in their place (CANCEL, with the push cut,
                // when the transport held the flush).
                var trailers = frames.IndexOf("HEADERS END_STREAM 1");
                Assert.True(trailers > 0, string.Join(", ", frames));
                Assert.DoesNotContain("RST_STREAM 1", frames[..trailers]);
            });
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            channels.ForEach(c => c.Dispose());
        }
    }
}
