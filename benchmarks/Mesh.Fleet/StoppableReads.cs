using System.Net.Sockets;

namespace Mesh.Fleet;

/// <summary>
/// A proxy's connection whose reads stop once it is stuck: the HTTP/2 client then reads nothing more from the socket
/// (no frames, no WINDOW_UPDATE for what it was sent), so the kernel's buffers fill and the server's windows for it
/// close, as with an Envoy that stopped reading. Writes go on. (The xDS server's tests use it too: StuckProxyTests.)
/// </summary>
internal sealed class StoppableReads(Stream inner, Task stopped) : Stream
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, Task stopped, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new StoppableReads(new NetworkStream(socket, ownsSocket: true), stopped);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (stopped.IsCompleted)
        {
            // Never again: the connection's end (the run's, or the server closing it) ends this wait as the socket's end.
            await _disposed.Task.WaitAsync(cancellationToken);
            return 0;
        }

        return await inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed.TrySetResult();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
