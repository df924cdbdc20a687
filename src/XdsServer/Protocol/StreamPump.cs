using System.Threading.Channels;
using Grpc.Core;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The loop behind every xDS stream (grpc-dotnet's health <c>Watch</c> pattern): one task owns the response
/// stream and is the only writer. It keeps one read of the request stream pending and takes snapshots from a
/// one-slot, latest-wins channel, so a proxy that reads slowly holds up only its own loop and skips intermediate
/// snapshots instead of queueing them. A request the proxy sent is not read until the one before it is handled:
/// HTTP/2 flow control holds the rest, as the bounded queue and reader task of an earlier design did at the cost
/// of a task, a channel and a wake-up per request on every stream.
/// <para>
/// The loop ends without an exception when the stream is cancelled (the proxy went away, or the server is
/// stopping) or the proxy closes its side: a stopping server ends thousands of streams at once, and an exception
/// rethrown through every frame of every stream was most of what that cost. The caller says how the call ends.
/// </para>
/// </summary>
internal sealed class StreamPump<TRequest>
{
    private readonly Channel<Snapshot> _snapshots = Channel.CreateBounded<Snapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Offers a snapshot without ever blocking; an unsent older one is replaced.</summary>
    public void Offer(Snapshot snapshot) => _snapshots.Writer.TryWrite(snapshot);

    /// <summary>
    /// Runs until the proxy closes its side or <paramref name="cancellationToken"/> fires (both end it normally);
    /// an error reading a request (a malformed one ends the call with INVALID_ARGUMENT) or handling one is thrown.
    /// </summary>
    public async Task RunAsync(
        IAsyncStreamReader<TRequest> requestStream,
        Func<TRequest, CancellationToken, Task> onRequest,
        Func<Snapshot, CancellationToken, Task> onSnapshot,
        CancellationToken cancellationToken)
    {
        // Cancelled on the way out, so a read still pending (the loop ended on a failed write) completes and is observed.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        var read = requestStream.MoveNext(token);
        Task<bool>? snapshotWaiting = null;
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Requests first: they can change subscriptions that decide what a snapshot means for this client.
                if (read.IsCompleted)
                {
                    if (!await read)
                    {
                        return; // the client closed its side
                    }

                    await onRequest(requestStream.Current, token);
                    read = requestStream.MoveNext(token);
                    continue;
                }

                if (_snapshots.Reader.TryRead(out var snapshot))
                {
                    await onSnapshot(snapshot, token);
                    continue;
                }

                snapshotWaiting ??= _snapshots.Reader.WaitToReadAsync(token).AsTask();
                await Task.WhenAny(read, snapshotWaiting);
                if (snapshotWaiting.IsCompleted)
                {
                    snapshotWaiting = null;
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while reading or writing (an OperationCanceledException, or whatever the aborted request
            // or response stream threw): the stream is ending, and the caller reports how.
        }
        finally
        {
            await stop.CancelAsync();
            await Observe(read);
        }
    }

    /// <summary>Waits for a read the loop left pending (cancelled by now), swallowing how it ended.</summary>
    private static async Task Observe(Task<bool> read)
    {
        if (read.IsCompletedSuccessfully)
        {
            return;
        }

        try
        {
            await read;
        }
        catch (Exception)
        {
            // the stream is ending anyway; what the loop threw, if anything, is what the call reports
        }
    }
}
