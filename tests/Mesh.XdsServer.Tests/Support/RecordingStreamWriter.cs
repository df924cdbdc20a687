using System.Threading.Channels;
using Grpc.Core;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A response stream that records what the server writes. While <see cref="Gate"/> is closed, every write waits
/// for it, as a write to a proxy that stopped reading waits for HTTP/2 flow-control credit.
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
        await _gate.Task.WaitAsync(cancellationToken);
        await _written.Writer.WriteAsync(message, cancellationToken);
    }

    public async Task<T> NextAsync() => await _written.Reader.ReadAsync(TaskTimeouts.Token()).AsTask().DefaultTimeout();

    public bool TryTake(out T message) => _written.Reader.TryRead(out message!);
}
