using System.Threading.Channels;
using Grpc.Core;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The loop behind every xDS stream (grpc-dotnet's health <c>Watch</c> pattern): one task owns the response
/// stream and is the only writer. It takes client requests from a small bounded queue (a reader task fills it)
/// and snapshots from a one-slot, latest-wins channel, so a proxy that reads slowly holds up only its own loop
/// and skips intermediate snapshots instead of queueing them.
/// </summary>
internal sealed class StreamPump<TRequest>
{
    private readonly Channel<Snapshot> _snapshots = Channel.CreateBounded<Snapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Offers a snapshot without ever blocking; an unsent older one is replaced.</summary>
    public void Offer(Snapshot snapshot) => _snapshots.Writer.TryWrite(snapshot);

    public async Task RunAsync(
        IAsyncStreamReader<TRequest> requestStream,
        Func<TRequest, CancellationToken, Task> onRequest,
        Func<Snapshot, CancellationToken, Task> onSnapshot,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requests = Channel.CreateBounded<TRequest>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var reader = ReadAllAsync(requestStream, requests.Writer, stop.Token);
        try
        {
            var nextRequest = requests.Reader.WaitToReadAsync(stop.Token).AsTask();
            var nextSnapshot = _snapshots.Reader.WaitToReadAsync(stop.Token).AsTask();
            while (true)
            {
                await Task.WhenAny(nextRequest, nextSnapshot);

                // Requests first: they can change subscriptions that decide what a snapshot means for this client.
                if (nextRequest.IsCompleted)
                {
                    if (!await nextRequest)
                    {
                        return; // the client closed its side
                    }

                    while (requests.Reader.TryRead(out var request))
                    {
                        await onRequest(request, stop.Token);
                    }

                    nextRequest = requests.Reader.WaitToReadAsync(stop.Token).AsTask();
                    continue;
                }

                await nextSnapshot;
                if (_snapshots.Reader.TryRead(out var snapshot))
                {
                    await onSnapshot(snapshot, stop.Token);
                }

                nextSnapshot = _snapshots.Reader.WaitToReadAsync(stop.Token).AsTask();
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await reader;
            }
            catch (OperationCanceledException)
            {
                // the stream is ending anyway
            }
        }
    }

    private static async Task ReadAllAsync(IAsyncStreamReader<TRequest> stream, ChannelWriter<TRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            while (await stream.MoveNext(cancellationToken))
            {
                await writer.WriteAsync(stream.Current, cancellationToken);
            }

            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }
}
