using Envoy.Admin.V3;
using Envoy.Service.Status.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// What the client said of a delta response (or of the ACK of one), shared by all its resources. A response's own
/// outcome, until the client answers, carries the response's nonce (0 for an answer, or when not known): an answer
/// that comes after the response was forgotten past the pending limit still finds what the response carried by it.
/// </summary>
internal sealed record DeltaOutcome(ConfigStatus ConfigStatus, ClientResourceStatus ClientStatus, string? Error, DateTimeOffset At, long Nonce = 0)
{
    /// <summary>Whether this is the outcome of a response sent at or before nonce <paramref name="through"/> and not answered yet.</summary>
    public bool AwaitsAnswerThrough(long through) => ClientStatus == ClientResourceStatus.Requested && Nonce > 0 && Nonce <= through;

    /// <summary>
    /// This answer as it holds for an earlier response the client answered past: accepted, when it answered (an ACK
    /// is that itself; a NACK refused the later response, not the earlier one).
    /// </summary>
    public DeltaOutcome Accepted() => ClientStatus == ClientResourceStatus.Acked
        ? this
        : new DeltaOutcome(ConfigStatus.Synced, ClientResourceStatus.Acked, null, At);
}
