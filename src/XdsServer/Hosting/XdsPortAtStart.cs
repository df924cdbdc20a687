using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// The xDS port listening from the moment the host is being built, not from when Kestrel starts after the host's
/// build, the start's database check and the warm-up. Until Kestrel starts, a proxy's connection waits in the socket's
/// backlog (the kernel completes its handshake and keeps what it sends), where it used to be refused. A refused Envoy
/// doubles its backoff (500 ms up to 30 s), so in a restart every second the port refuses sends the last proxies'
/// return further out than that second (docs/benchmarks.md, issue13bp); a connection that waits is not refused.
/// Kestrel takes this socket when it binds the same endpoint (<see cref="SocketTransportOptions.CreateBoundListenSocket"/>)
/// and accepts what waited.
/// <para>
/// Only a fixed port is listened on early: a port the system chooses (0, as the tests' hosts use) is not known to any
/// proxy before Kestrel reports it. A setting the host will refuse, or a bind that fails (the port in use), leaves the
/// bind to Kestrel, which fails and says so as it always did.
/// </para>
/// </summary>
public sealed class XdsPortAtStart : IDisposable
{
    private Socket? _socket;

    private XdsPortAtStart(Socket socket, IPEndPoint endpoint, int backlog, TimeSpan listeningAfter)
    {
        _socket = socket;
        Endpoint = endpoint;
        Backlog = backlog;
        ListeningAfter = listeningAfter;
    }

    /// <summary>The endpoint of <c>Xds:GrpcUrl</c>.</summary>
    public IPEndPoint Endpoint { get; }

    public int Backlog { get; }

    /// <summary>How long after the process started the port was listening.</summary>
    public TimeSpan ListeningAfter { get; }

    /// <summary>The port listening with the host's settings, or null when the bind is left to Kestrel (see the type).</summary>
    public static XdsPortAtStart? TryListen(IConfiguration configuration)
    {
        XdsOptions xds;
        try
        {
            xds = configuration.GetSection(XdsOptions.Section).Get<XdsOptions>() ?? new XdsOptions();
        }
        catch (InvalidOperationException)
        {
            return null; // a value that does not bind: the options' validation says which
        }

        if (xds.Problem() is not null || XdsOptions.EndpointOf(xds.GrpcUrl) is not { Port: > 0 } endpoint)
        {
            return null;
        }

        Socket? socket = null;
        try
        {
            socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.Listen(xds.ListenBacklog);
            using var process = Process.GetCurrentProcess();
            return new XdsPortAtStart(socket, endpoint, xds.ListenBacklog, DateTime.Now - process.StartTime);
        }
        catch (SocketException)
        {
            socket?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// For <see cref="SocketTransportOptions.CreateBoundListenSocket"/>: this socket for its endpoint, once (Kestrel
    /// listens on it again with the same backlog and accepts what waited); a new bound socket for any other endpoint.
    /// </summary>
    public Socket CreateBoundListenSocket(EndPoint endpoint) =>
        endpoint.Equals(Endpoint) && Interlocked.Exchange(ref _socket, null) is { } socket
            ? socket
            : SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);

    /// <summary>Closes the socket if Kestrel never took it (the host was not started); Kestrel closes it otherwise.</summary>
    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();
}
