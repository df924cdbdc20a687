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

            var endings = await Task.WhenAll(clients.Select(c => c.ClosedAsync()));
            Assert.All(endings, e =>
            {
                Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                Assert.Contains("shutting down", e.Status.Detail);
            });

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
}
