namespace Mesh.Api.Protocol;

/// <summary>
/// The time an API call has (Mesh:RequestTimeout). Its token replaces HttpContext.RequestAborted, so every
/// database call of the request stops at the deadline; kept as a feature so failures can tell a deadline
/// that passed (answered with ServiceUnavailableException) from a client that went away (nobody to answer).
/// </summary>
public sealed class RequestDeadline(TimeSpan timeout, CancellationToken clientAborted, CancellationToken token)
{
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>The client's own token: what writing an answer that is ready waits on, whatever the deadline.</summary>
    public CancellationToken ClientAborted { get; } = clientAborted;

    public bool Passed => token.IsCancellationRequested && !ClientAborted.IsCancellationRequested;
}
