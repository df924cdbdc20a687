using System.Threading.Channels;
using Grpc.Core;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A request stream a unit test writes into, for calling a session without a network in between.</summary>
public sealed class ChannelStreamReader<T> : IAsyncStreamReader<T>
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>();

    public T Current { get; private set; } = default!;

    public ChannelWriter<T> Writer => _channel.Writer;

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
