using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The xDS port's HTTP/2 keep-alive: a peer that does not answer Kestrel's PING is closed, and the close is counted in
/// <c>/metrics</c> by its reason, so a proxy that keeps losing its connection this way (a paused or starved host, which
/// then resyncs) is seen, not silent (docs/benchmarks.md, issue13as).
/// </summary>
public sealed class KeepAliveTests
{
    private const byte SettingsFrame = 0x4;
    private const byte PingFrame = 0x6;
    private const byte GoAwayFrame = 0x7;

    [Theory]
    [InlineData(null, null, 30, 20)]
    [InlineData("00:00:05", "00:00:03", 5, 3)]
    public async Task The_Ping_Comes_After_Thirty_Seconds_And_Waits_Twenty_Unless_Kestrels_Settings_Say_Otherwise(
        string? delay, string? timeout, int delaySeconds, int timeoutSeconds)
    {
        var settings = new Dictionary<string, string?>();
        if (delay is not null)
        {
            settings["Kestrel:Limits:Http2:KeepAlivePingDelay"] = delay;
            settings["Kestrel:Limits:Http2:KeepAlivePingTimeout"] = timeout;
        }

        await using var host = await XdsTestHost.StartAsync(settings: settings);

        var http2 = host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.Http2;

        Assert.Equal((TimeSpan.FromSeconds(delaySeconds), TimeSpan.FromSeconds(timeoutSeconds)), (http2.KeepAlivePingDelay, http2.KeepAlivePingTimeout));
    }

    [Fact]
    public async Task A_Peer_That_Never_Answers_The_Ping_Is_Closed_And_The_Close_Is_Counted_As_A_Keep_Alive_Timeout()
    {
        // Kestrel's shortest: it checks the keep-alive on its one-second heartbeat.
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Kestrel:Limits:Http2:KeepAlivePingDelay"] = "00:00:01",
            ["Kestrel:Limits:Http2:KeepAlivePingTimeout"] = "00:00:01",
        });
        Assert.Null(ClosedByKeepAlive(await host.Admin.GetStringAsync("/metrics").DefaultTimeout()));

        // A peer that opens an HTTP/2 connection as a proxy would and then goes quiet, answering nothing.
        using var peer = new TcpClient();
        await peer.ConnectAsync(host.GrpcUri.Host, host.GrpcUri.Port).DefaultTimeout();
        var stream = peer.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).AsTask().DefaultTimeout();
        await stream.WriteAsync(FrameHeader(length: 0, SettingsFrame)).AsTask().DefaultTimeout();

        var received = await FrameTypesUntilClosedAsync(stream).DefaultTimeout();

        Assert.Contains(PingFrame, received);
        Assert.Equal(GoAwayFrame, received[^1]);
        await Eventually.TrueAsync(async () => ClosedByKeepAlive(await host.Admin.GetStringAsync("/metrics")) == 1);
    }

    private static double? ClosedByKeepAlive(string metrics) =>
        PrometheusText.Value(metrics, "kestrel_connection_duration_seconds_count", ("error_type", "keep_alive_timeout"));

    private static byte[] FrameHeader(int length, byte type)
    {
        var header = new byte[9];
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        return header;
    }

    /// <summary>The type of every frame the server sends, in order, until it closes the connection.</summary>
    private static async Task<List<byte>> FrameTypesUntilClosedAsync(NetworkStream stream)
    {
        var types = new List<byte>();
        var header = new byte[9];
        while (await ReadFullyAsync(stream, header))
        {
            types.Add(header[3]);
            var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header) >> 8);
            if (!await ReadFullyAsync(stream, new byte[length]))
            {
                break;
            }
        }

        return types;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; false when the connection ends first.</summary>
    private static async Task<bool> ReadFullyAsync(NetworkStream stream, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer.AsMemory(read));
            }
            catch (IOException)
            {
                return false; // reset instead of closed: ended all the same
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
