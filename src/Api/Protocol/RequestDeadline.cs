using System.Collections.Concurrent;

namespace Mesh.Api.Protocol;

/// <summary>
/// The time an API call has (Mesh:RequestTimeout). Its token replaces HttpContext.RequestAborted, so every
/// database call of the request stops at the deadline; kept as a feature so failures can tell a deadline
/// that passed (answered with ServiceUnavailableException) from a client that went away (nobody to answer).
/// </summary>
/// <remarks>
/// Every call had a linked cancellation source of its own, its registration on the client's token and a new timer;
/// a deadline is now taken from a small pool, its source reset (<see cref="CancellationTokenSource.TryReset"/>
/// also stops its timer, which the next <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> moves again) and
/// the client's abort relayed to it by a registration instead of a linked source. A deadline that fired or whose
/// client went away is not reused.
/// </remarks>
public sealed class RequestDeadline
{
    private const int MaxKept = 256;
    private static readonly ConcurrentQueue<RequestDeadline> Kept = new();

    private CancellationTokenSource source = new();
    private CancellationTokenRegistration relay;

    private RequestDeadline()
    {
    }

    public TimeSpan Timeout { get; private set; }

    /// <summary>The client's own token: what writing an answer that is ready waits on, whatever the deadline.</summary>
    public CancellationToken ClientAborted { get; private set; }

    /// <summary>Cancelled when the deadline passes or the client goes away.</summary>
    public CancellationToken Token { get; private set; }

    public bool Passed => Token.IsCancellationRequested && !ClientAborted.IsCancellationRequested;

    /// <summary>A deadline <paramref name="timeout"/> from now that also ends when <paramref name="clientAborted"/> is cancelled.</summary>
    public static RequestDeadline Start(TimeSpan timeout, CancellationToken clientAborted)
    {
        var deadline = Kept.TryDequeue(out var kept) ? kept : new RequestDeadline();
        deadline.Timeout = timeout;
        deadline.ClientAborted = clientAborted;
        deadline.Token = deadline.source.Token;
        deadline.source.CancelAfter(timeout);
        deadline.relay = clientAborted.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), deadline.source);
        return deadline;
    }

    /// <summary>Ends the call's deadline (once its answer is written or given up); the deadline must not be used after.</summary>
    public void End()
    {
        // Waits for a relay that is running, so the source is not reset under it.
        relay.Dispose();
        relay = default;
        ClientAborted = default;
        if (!source.TryReset())
        {
            source.Dispose();
            source = new CancellationTokenSource();
        }

        if (Kept.Count < MaxKept)
        {
            Kept.Enqueue(this);
        }
    }
}
