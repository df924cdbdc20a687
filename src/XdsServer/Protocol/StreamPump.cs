using Grpc.Core;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The loop behind every xDS stream (grpc-dotnet's health <c>Watch</c> pattern): one task owns the response
/// stream and is the only writer. It keeps one read of the request stream pending and takes snapshots from a
/// one-slot, latest-wins hand-over (<see cref="LatestSnapshot"/>), so a proxy that reads slowly holds up only its
/// own loop and skips intermediate snapshots instead of queueing them. A request the proxy sent is not read until the one before it is handled:
/// HTTP/2 flow control holds the rest, as the bounded queue and reader task of an earlier design did at the cost
/// of a task, a channel and a wake-up per request on every stream.
/// <para>
/// The loop ends without an exception when the stream is cancelled (the proxy went away, or the server is
/// stopping) or the proxy closes its side: a stopping server ends thousands of streams at once, and an exception
/// rethrown through every frame of every stream was most of what that cost. The caller says how the call ends.
/// </para>
/// </summary>
internal sealed class StreamPump<TRequest>(PushGate? gate = null)
{
    private readonly LatestSnapshot _snapshots = new();

    /// <summary>
    /// Why the loop ended, for the stream's closing line (a phrase); null while it runs, or when it threw (the call
    /// reports that). The ends that are no error are not logged above Debug: thousands of proxies restarting at once
    /// would flood the log with them.
    /// </summary>
    public string? EndedBecause { get; private set; }

    /// <summary>Offers a snapshot without ever blocking; an unsent older one is replaced.</summary>
    public void Offer(Snapshot snapshot) => _snapshots.Offer(snapshot);

    /// <summary>
    /// Runs until the proxy closes its side, resets the stream, or <paramref name="call"/> or <paramref name="stopping"/>
    /// fires (all end it normally); an error reading a request (a malformed one ends the call with INVALID_ARGUMENT)
    /// or handling one is thrown. <paramref name="onSnapshot"/> says whether it wrote anything to the proxy.
    /// </summary>
    public async Task RunAsync(
        IAsyncStreamReader<TRequest> requestStream,
        Func<TRequest, CancellationToken, Task> onRequest,
        Func<Snapshot, CancellationToken, Task<bool>> onSnapshot,
        CancellationToken call,
        CancellationToken stopping)
    {
        // The stream's one cancellation source: it fires when the call is cancelled or the server stops, and is
        // cancelled on the way out, so a read still pending (the loop ended on a failed write) completes and is
        // observed. (A source linked to the call and the stop, and a second one linked to that for the way out,
        // cost a stream two sources and three registrations for what one source and two registrations do.)
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(call, stopping);
        var token = stop.Token;

        // The handlers' writes are cancelled only by the call's end (the proxy left, or Kestrel aborting what is left
        // at the stop's time-out), not by the stop itself: a push already handed to Kestrel when the stop begins is
        // finished and followed by the stream's UNAVAILABLE trailers. Cancelling its flush made Kestrel reset the
        // stream instead, with no trailers (SlowStopTests, the large push unsent). The loop starts nothing new once
        // the stop fires.
        var read = requestStream.MoveNext(token);
        Task? snapshotWaiting = null;

        // The first snapshot is the connect's (the proxy's first requests are answered from it, so taking it again
        // rarely writes anything): a connecting stream must not queue behind a change's pushes to find that out.
        var snapshotsTaken = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Requests first: they can change subscriptions that decide what a snapshot means for this client.
                if (read.IsCompleted)
                {
                    if (!await read)
                    {
                        EndedBecause = "the proxy closed its side";
                        return;
                    }

                    await onRequest(requestStream.Current, call);
                    read = requestStream.MoveNext(token);
                    continue;
                }

                if (_snapshots.TryTake(out var snapshot))
                {
                    if (snapshotsTaken++ == 0)
                    {
                        await onSnapshot(snapshot, call);
                    }
                    else if (gate is null)
                    {
                        // A change's push (the connect's snapshot above is not one): its identity's timeline shows it.
                        snapshot.Timeline?.Taken.Mark();
                        if (await onSnapshot(snapshot, call))
                        {
                            snapshot.Timeline?.Written.Mark();
                        }
                    }
                    else
                    {
                        snapshot.Timeline?.Taken.Mark();
                        await PushThroughGateAsync(gate, snapshot, onSnapshot, call, token);
                    }

                    continue;
                }

                // Not cancellable: the stream's cancellation ends the pending read, which ends this wait too.
                snapshotWaiting ??= _snapshots.WaitAsync();
                await Task.WhenAny(read, snapshotWaiting);
                if (snapshotWaiting.IsCompleted)
                {
                    snapshotWaiting = null;
                }
            }

            EndedBecause = Cancelled(call);
        }
        catch (Exception) when (call.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // Cancelled while reading or writing (an OperationCanceledException, or whatever the aborted request
            // or response stream threw): the stream is ending, and the caller reports how.
            EndedBecause = Cancelled(call);
        }
        catch (IOException e)
        {
            // The client reset the stream (RST_STREAM, "The client reset the request stream") or its connection
            // failed: an ordinary end of a proxy that went away. Kestrel fails the pending read before it cancels the
            // call's token, so the filter above could not tell, and gRPC logged the stream as an error with its stack.
            EndedBecause = $"{ProxyWentAway} ({e.Message})";
        }
        finally
        {
            await stop.CancelAsync();
            await Observe(read);
        }
    }

    // The call is cancelled when Kestrel aborts its request: the proxy reset the stream or its connection closed
    // (the server's own stop aborts a call only at the stop's time-out, after its streams were asked to end).
    private const string ProxyWentAway = "the proxy reset the stream or its connection closed";

    private static string Cancelled(CancellationToken call) => call.IsCancellationRequested ? ProxyWentAway : "the server is stopping";

    /// <summary>
    /// Writes a snapshot holding one of the gate's slots (<c>Xds:PushesInFlight</c>) for as long as the write takes:
    /// its completion means Kestrel took the bytes from the stream's pipe for the socket, so the push no longer waits
    /// in the server's buffers, and the proxy's answer, which can only follow, is not waited for. A write that does
    /// not complete keeps the slot until the gate finds it stalled or expired (<see cref="PushGate"/>), and goes on.
    /// </summary>
    private async Task PushThroughGateAsync(PushGate gate, Snapshot snapshot, Func<Snapshot, CancellationToken, Task<bool>> onSnapshot, CancellationToken call, CancellationToken token)
    {
        var slot = await gate.EnterAsync(token);
        try
        {
            // Latest wins while waiting for the slot too.
            if (_snapshots.TryTake(out var newer))
            {
                snapshot = newer;
                snapshot.Timeline?.Taken.Mark();
            }

            snapshot.Timeline?.Slotted.Mark();

            // Only a push that wrote something tells the gate that it overtook older ones.
            if (await onSnapshot(snapshot, call))
            {
                slot.Written();
                snapshot.Timeline?.Written.Mark();
            }
        }
        finally
        {
            // A write that failed (the stream is ending) gives the slot back too, and tells the gate nothing.
            slot.TryRelease();
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
