using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A server that stops ends its streams with UNAVAILABLE, so proxies reconnect (elsewhere) without reporting an
/// error; it stops listening first, so a proxy told so does not reconnect to it and have that stream cut.
/// </summary>
public sealed class ShutdownTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StartDemoHostAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Streams_End_With_Unavailable_When_The_Server_Stops()
    {
        // One stream can lose the .NET client's race at the connection's close (StopEndings), which hides the
        // server's status from it; so each stop is on a fresh server, every ending must be the server's UNAVAILABLE or
        // that race, and a stop is tried again (at most three) until one stream has read the server's status.
        var endings = new List<RpcException> { await StopWithOneStreamAsync(_host) };
        while (endings.Count < 3 && endings[^1].StatusCode != StatusCode.Unavailable)
        {
            await using var host = await StartDemoHostAsync();
            endings.Add(await StopWithOneStreamAsync(host));
        }

        StopEndings.AssertEndedByTheServer(endings);
    }

    private static async Task<XdsTestHost> StartDemoHostAsync()
    {
        var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        return host;
    }

    private static async Task<RpcException> StopWithOneStreamAsync(XdsTestHost host)
    {
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        return await client.ClosedAsync();
    }

    [Fact]
    public async Task Every_Stream_Ends_With_Unavailable_None_Reset_When_The_Server_Stops_Under_Many_Proxies()
    {
        // Each proxy on its own HTTP/2 connection, as Envoys are, all configured before the stop.
        var channels = Enumerable.Range(0, 40).Select(_ => GrpcChannel.ForAddress(_host.GrpcUri)).ToList();
        var clients = channels.Select(c => AdsClient.Connect(c, MeshRows.NodeId("web"))).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.SendAsync(TypeUrls.Cluster);
                await client.AckAsync(await client.NextAsync());
            }

            _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

            // A reset stream reads as an RpcException too, but with the client's own detail ("the server reset the
            // stream", "The request was aborted"), never the server's status; StopEndings tells it from the client's
            // race at the connection's close (seen once in 40 streams).
            var endings = await Task.WhenAll(clients.Select(c => c.ClosedAsync()));
            StopEndings.AssertEndedByTheServer(endings);
            await Eventually.TrueAsync(() => _host.Streams.Count == 0);
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

    [Fact]
    public async Task The_Server_Stops_Listening_As_Soon_As_It_Is_Asked_To_Stop()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());

        // Only the stop is requested: nothing else stops the host here, so it is the xDS server that stops Kestrel
        // at once, before the host's other services, rather than leaving its port open to reconnecting proxies.
        _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The stream's ending (the server's UNAVAILABLE, checked over 40 streams above) may lose the .NET client's
        // race at the connection's close, as there; this test is about the port.
        StopEndings.AssertEndedByTheStop(await client.ClosedAsync());
        await Eventually.TrueAsync(async () => !await AcceptsAsync(_host.GrpcUri));
    }

    private static async Task<bool> AcceptsAsync(Uri uri)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
