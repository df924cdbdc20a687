using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
/// <para>
/// The port also outlives Kestrel's listener at the stop (<see cref="XdsOptions.HoldPortWhileStopping"/>): a second
/// descriptor of the same listening socket is kept until this is disposed, with the container, just before the process
/// exits. Kestrel's stop closes its own descriptor, so nothing is accepted any more, but the kernel keeps the socket
/// listening: a proxy that reconnects while the server stops waits in the backlog instead of being refused, and the
/// kernel resets what waited when the descriptor is closed.
/// </para>
/// </summary>
public sealed class XdsPortAtStart : IDisposable
{
    private Socket? _socket;
    private Socket? _held;
    private readonly bool _holdWhileStopping;

    private XdsPortAtStart(Socket socket, IPEndPoint endpoint, int backlog, TimeSpan listeningAfter, bool holdWhileStopping)
    {
        _socket = socket;
        Endpoint = endpoint;
        Backlog = backlog;
        ListeningAfter = listeningAfter;
        _holdWhileStopping = holdWhileStopping;
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
            return new XdsPortAtStart(socket, endpoint, xds.ListenBacklog, DateTime.Now - process.StartTime, xds.HoldPortWhileStopping);
        }
        catch (SocketException)
        {
            socket?.Dispose();
            return null;
        }
    }

    /// <summary>Whether the port is held open past Kestrel's listener (<see cref="XdsOptions.HoldPortWhileStopping"/>).</summary>
    public bool Held => Volatile.Read(ref _held) is not null;

    /// <summary>
    /// For <see cref="SocketTransportOptions.CreateBoundListenSocket"/>: this socket for its endpoint, once (Kestrel
    /// listens on it again with the same backlog and accepts what waited), keeping a descriptor of it to hold the port
    /// while the server stops; a new bound socket for any other endpoint.
    /// </summary>
    public Socket CreateBoundListenSocket(EndPoint endpoint)
    {
        if (!endpoint.Equals(Endpoint) || Interlocked.Exchange(ref _socket, null) is not { } socket)
        {
            return SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        }

        if (_holdWhileStopping && Duplicate(socket) is { } held)
        {
            Volatile.Write(ref _held, held);
        }

        return socket;
    }

    /// <summary>
    /// The connections waiting in the held port's backlog, none accepted (the kernel's accept queue, from
    /// <c>TCP_INFO</c>): after the stop, those the exit resets. Null when the port is not held or cannot be read.
    /// </summary>
    public int? WaitingInBacklog()
    {
        if (Volatile.Read(ref _held) is not { } held)
        {
            return null;
        }

        try
        {
            // struct tcp_info: for a listening socket tcpi_unacked (at byte 24) is the accept queue's length.
            Span<byte> info = stackalloc byte[104];
            var length = held.GetRawSocketOption(IpProtocolTcp, TcpInfo, info);
            return length >= 28 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(info[24..]) : null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Closes the socket if Kestrel never took it (the host was not started; Kestrel closes it otherwise), and the held port.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _socket, null)?.Dispose();
        Interlocked.Exchange(ref _held, null)?.Dispose();
    }

    /// <summary>A second descriptor of the same listening socket (close-on-exec, as .NET's own), or null where it cannot be had.</summary>
    private static Socket? Duplicate(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var copy = DuplicateDescriptor((int)socket.SafeHandle.DangerousGetHandle(), DuplicateCloseOnExec, 0);
        return copy < 0 ? null : new Socket(new SafeSocketHandle(copy, ownsHandle: true));
    }

    private const int IpProtocolTcp = 6;
    private const int TcpInfo = 11;
    private const int DuplicateCloseOnExec = 1030; // F_DUPFD_CLOEXEC

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int DuplicateDescriptor(int fd, int command, int lowest);
}
