using System.Threading.Channels;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A response stream that records what the server writes. While <see cref="Gate"/> is closed, every write waits
/// for it, as a write to a proxy that stopped reading waits for HTTP/2 flow-control credit. A delta response is
/// recorded as a client reads it (the server's marshaller, then parsed): a stream writes the responses it shares
/// through one message of its own (<see cref="SharedDeltaWriter"/>), which stands for the shared one only during the write.
/// </summary>
public sealed class RecordingStreamWriter<T> : IServerStreamWriter<T>
{
    private readonly Channel<T> _written = Channel.CreateUnbounded<T>();
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecordingStreamWriter(bool open = true)
    {
        if (open)
        {
            _gate.SetResult();
        }
    }

    public WriteOptions? WriteOptions { get; set; }

    public int Started { get; private set; }

    public Task Gate => _gate.Task;

    public void Open() => _gate.TrySetResult();

    /// <summary>Makes the writes from now on wait until <see cref="Open"/>, as for a proxy that stopped reading.</summary>
    public void Close()
    {
        if (_gate.Task.IsCompleted)
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        Started++;
        if (message is DeltaDiscoveryResponse delta)
        {
            message = (T)(object)AsRead(delta);
        }

        await _gate.Task.WaitAsync(cancellationToken);
        await _written.Writer.WriteAsync(message, cancellationToken);
    }

    public async Task<T> NextAsync() => await _written.Reader.ReadAsync(TaskTimeouts.Token()).AsTask().DefaultTimeout();

    public bool TryTake(out T message) => _written.Reader.TryRead(out message!);

    private static readonly Marshaller<DeltaDiscoveryResponse> DeltaMarshaller = SharedDeltaResponses.Marshaller(
        Marshallers.Create<DeltaDiscoveryResponse>(r => r.ToByteArray(), DeltaDiscoveryResponse.Parser.ParseFrom));

    /// <summary>What a client reads of a delta response the server writes.</summary>
    public static DeltaDiscoveryResponse AsRead(DeltaDiscoveryResponse written)
    {
        var context = new RecordingSerializationContext();
        DeltaMarshaller.ContextualSerializer(written, context);
        return DeltaDiscoveryResponse.Parser.ParseFrom(context.Bytes);
    }
}
