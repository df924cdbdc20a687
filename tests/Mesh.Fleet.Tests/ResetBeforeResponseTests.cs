using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Fleet.Tests;

/// <summary>
/// A proxy whose connection waited in a listening port's backlog, never accepted, and was reset when the port closed
/// (what a stopping xDS server that holds its port until it exits does to a proxy that reconnects meanwhile) counts it
/// as a connect that failed, beside its refusals, not as an error: Envoy retries it after its backoff, as a refusal.
/// </summary>
public sealed class ResetBeforeResponseTests
{
    [Fact]
    public async Task A_Connection_Reset_From_The_Backlog_Is_Counted_As_Reset_Before_A_Response_Not_As_An_Error()
    {
        var port = Listening();
        using var proxy = ProxyOf(port);
        using var stop = new CancellationTokenSource();
        var run = proxy.RunAsync(stop.Token);
        try
        {
            await Until(() => AcceptQueue(port) == 1);

            // In a restart the connection waits for seconds (the stop), long enough for the client to have given its
            // request to that connection: reset then, the stream fails (reading the server's HTTP/2 preface, or writing
            // the request). Reset within milliseconds, the client may instead try a new connection, refused here.
            await Task.Delay(TimeSpan.FromSeconds(2));
            port.Dispose(); // the kernel resets the connection that waited; the proxy's next tries are refused
            await Until(() => proxy.Reconnects >= 2);

            Assert.Equal(0, proxy.Errors);
            Assert.Null(proxy.LastError);
            Assert.True(proxy.ResetBeforeResponse == 1 || proxy.Refused == proxy.Reconnects, $"reset {proxy.ResetBeforeResponse}, refused {proxy.Refused}, reconnects {proxy.Reconnects}");
            Assert.Empty(proxy.OtherEnds);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
            port.Dispose();
        }
    }

    [Fact]
    public async Task A_Connection_Closed_Before_The_Servers_Preface_Is_Counted_As_Reset_Before_A_Response_Not_As_An_Error()
    {
        // A connection accepted in the stop's last instant and closed with it: the server's end sends FIN, not RST, and
        // the client reads the end of the stream where the HTTP/2 preface should be.
        using var port = Listening();
        using var proxy = ProxyOf(port);
        using var stop = new CancellationTokenSource();
        var run = proxy.RunAsync(stop.Token);
        var closed = 0;
        try
        {
            while (closed < 2)
            {
                using var connection = await port.AcceptAsync().WaitAsync(TimeSpan.FromMinutes(1));
                // Long enough for the client to give its request to this connection, as one held through a stop has.
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                connection.Shutdown(SocketShutdown.Both);
                closed++;
            }

            await Until(() => proxy.Reconnects >= 2);

            Assert.Equal(0, proxy.Errors);
            Assert.Null(proxy.LastError);
            Assert.Empty(proxy.OtherEnds);
            Assert.True(proxy.ResetBeforeResponse >= 1, $"reset {proxy.ResetBeforeResponse}, refused {proxy.Refused}, reconnects {proxy.Reconnects}");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    /// <summary>A port listening on loopback that accepts nothing by itself.</summary>
    private static Socket Listening()
    {
        var port = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        port.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        port.Listen(8);
        return port;
    }

    /// <summary>A proxy whose only server is <paramref name="port"/>.</summary>
    private static SimulatedEnvoy ProxyOf(Socket port) =>
        new(new Envoy.Config.Core.V3.Node { Id = "mesh/m/virtualNode/client-0" }, FleetOptions.Variant("sotw-every"),
            [new Uri($"http://127.0.0.1:{((IPEndPoint)port.LocalEndPoint!).Port}")]);

    /// <summary>The listening socket's accept queue (TCP_INFO's tcpi_unacked for a listener).</summary>
    private static int AcceptQueue(Socket listener)
    {
        Span<byte> info = stackalloc byte[104];
        return listener.GetRawSocketOption(6, 11, info) >= 28 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(info[24..]) : -1;
    }

    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
