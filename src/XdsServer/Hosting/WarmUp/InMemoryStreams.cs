using System.Buffers;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.XdsServer.Hosting.WarmUp;

/// <summary>The request side of a warm-up stream: what the warm-up's proxy writes, a session reads.</summary>
internal sealed class InMemoryRequests<T> : IAsyncStreamReader<T>
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });

    public T Current { get; private set; } = default!;

    public void Send(T request) => _channel.Writer.TryWrite(request);

    /// <summary>The proxy closes its side of the stream, which ends the session.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (await _channel.Reader.WaitToReadAsync(cancellationToken) && _channel.Reader.TryRead(out var item))
        {
            Current = item;
            return true;
        }

        return false;
    }
}

/// <summary>
/// The response side of a warm-up stream: each response is serialised as gRPC's marshaller serialises it (size,
/// then written into a buffer writer), so that path is compiled too, and handed to the warm-up's proxy as a client
/// would read it (<c>asWritten</c>: a delta stream writes shared responses through a message of its own).
/// </summary>
internal sealed class InMemoryResponses<T>(Func<T, T>? asWritten = null) : IServerStreamWriter<T>
    where T : IMessage<T>
{
    private readonly Channel<T> _written = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        // Read now, during the write: a message a stream writes for a shared response changes at its next write.
        message = asWritten is null ? message : asWritten(message);
        _buffer.ResetWrittenCount();
        var size = message.CalculateSize();
        message.WriteTo(_buffer);
        if (_buffer.WrittenCount != size)
        {
            throw new InvalidOperationException($"{typeof(T).Name} wrote {_buffer.WrittenCount} bytes, {size} announced");
        }

        _written.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    public ValueTask<T> NextAsync(CancellationToken cancellationToken) => _written.Reader.ReadAsync(cancellationToken);
}
