using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Mesh.Deploy.Tests.Support;

/// <summary>Where a client's connection ended up: which listener accepted it, and the destination the client asked for.</summary>
public sealed record Arrival(string Listener, string Token, IPEndPoint? OriginalDestination);

/// <summary>
/// Named listeners standing in for Envoy's ingress and egress, the application, and the outside world. Each accepts
/// connections, reads the one-line token the client sends, and records where it arrived, so a test can ask where a
/// given connection went.
/// </summary>
public sealed class ProbeListeners : IAsyncDisposable
{
    private static readonly TimeSpan ArrivalLimit = TimeSpan.FromSeconds(20);

    // SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST: the address before REDIRECT rewrote it, which
    // is what Envoy's original_dst listener filter reads to pick the filter chain for the application port.
    private const int SoOriginalDst = 80;
    private const int SolIp = 0;
    private const int SolIpv6 = 41;

    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();

    public void Add(string name, Socket listening)
    {
        _sockets.Add(listening);
        _loops.Add(AcceptLoopAsync(name, listening, _stop.Token));
    }

    /// <summary>Waits for the connection that sent <paramref name="token"/>; fails if it reached no listener.</summary>
    public async Task<Arrival> WaitForAsync(string token)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        limit.CancelAfter(ArrivalLimit);
        try
        {
            while (true)
            {
                var arrival = await _arrivals.Reader.ReadAsync(limit.Token);
                if (arrival.Token == token)
                {
                    return arrival;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The connection carrying '{token}' reached none of the listeners.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops.Select(loop => loop.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(string name, Socket listening, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var connection = await listening.AcceptAsync(cancellationToken);
            _ = ReceiveAsync(name, connection, cancellationToken);
        }
    }

    private async Task ReceiveAsync(string name, Socket connection, CancellationToken cancellationToken)
    {
        using (connection)
        {
            var originalDestination = OriginalDestination(connection);
            var received = new StringBuilder();
            var buffer = new byte[256];
            while (true)
            {
                var count = await connection.ReceiveAsync(buffer, cancellationToken);
                if (count == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, count));
                if (received.ToString().Contains('\n'))
                {
                    break;
                }
            }

            await _arrivals.Writer.WriteAsync(new Arrival(name, received.ToString().Trim(), originalDestination), cancellationToken);
        }
    }

    private static IPEndPoint? OriginalDestination(Socket connection)
    {
        var ipv4 = connection.AddressFamily == AddressFamily.InterNetwork;
        var address = new byte[ipv4 ? 16 : 28]; // sockaddr_in / sockaddr_in6
        try
        {
            connection.GetRawSocketOption(ipv4 ? SolIp : SolIpv6, SoOriginalDst, address);
        }
        catch (SocketException)
        {
            return null; // no NAT entry for this connection
        }

        var port = (address[2] << 8) | address[3];
        return new IPEndPoint(new IPAddress(ipv4 ? address.AsSpan(4, 4) : address.AsSpan(8, 16)), port);
    }
}
