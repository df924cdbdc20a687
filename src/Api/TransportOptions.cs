using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Mesh.Api;

/// <summary>
/// How Kestrel's socket transport schedules the API's connections ("Mesh:Transport"). The defaults are Kestrel's own;
/// the settings exist so that the choice measured in docs/benchmarks.md ("Request pipeline and reads, fifth step")
/// can be changed by an operator without a build.
/// </summary>
public sealed class TransportOptions
{
    /// <summary>
    /// Run each request on the thread that read it from the socket, instead of handing it to the thread pool
    /// (Kestrel's <see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>). Saves a thread hop per read, but
    /// a request that blocks holds every connection of its I/O queue: the API's request path awaits, it never blocks.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// How many I/O queues the connections are spread over (Kestrel's <see cref="SocketTransportOptions.IOQueueCount"/>;
    /// 0 hands socket work straight to the thread pool). Unset: Kestrel's default, the processor count (at most 16).
    /// </summary>
    public int? IOQueueCount { get; set; }

    /// <summary>Writes these settings over Kestrel's <paramref name="socket"/> options; what is unset stays Kestrel's.</summary>
    public void ApplyTo(SocketTransportOptions socket)
    {
        socket.UnsafePreferInlineScheduling = InlineScheduling;
        if (IOQueueCount is { } queues)
        {
            socket.IOQueueCount = queues;
        }
    }
}
