using Mesh.Persistence;

namespace Mesh.Api.Security;

/// <summary>
/// The audit record of a write its caller stopped waiting for (see DeadlineRace): one record per request, saying what
/// became of it, whichever of the two facts arrives first (the answer the caller got, the write's end).
/// </summary>
/// <remarks>
/// The write's own record (status 200) travels in its transaction, and the refused call's record (a 503 at the
/// deadline) is written by the endpoint; before, both were kept when the write committed after its caller was answered
/// (issue14j), so the audit said the request both succeeded and failed. Now the endpoint hands its record here instead
/// of queueing it, and once the write has ended:
/// <list type="bullet">
/// <item>it committed: its own record stays, as the change is applied, and its message says what the caller was answered
/// ("Committed after the caller was answered 503 ServiceUnavailableException: …"); the refused call's record is not
/// written;</item>
/// <item>it did not commit: only the refused call's record is written, its message ending "It was not applied.".</item>
/// </list>
/// A caller that went away gets no answer and so no refused call's record: a committed write's own record stays as it is.
/// </remarks>
public sealed class AbandonedWriteAudit(AuditLog log, AuditRecordEntity written)
{
    private readonly object gate = new();
    private AuditRecordEntity? answered;
    private bool? committed;

    /// <summary>The record of the answer the caller got (the endpoint's, for a call that changed nothing).</summary>
    public void Answered(AuditRecordEntity record)
    {
        lock (gate)
        {
            answered = record;
            if (committed is null)
            {
                return;
            }
        }

        Settle();
    }

    /// <summary>The write has ended, having committed or not.</summary>
    public void Ended(bool hasCommitted)
    {
        lock (gate)
        {
            committed = hasCommitted;
            if (answered is null)
            {
                return;
            }
        }

        Settle();
    }

    private void Settle()
    {
        if (committed == true)
        {
            log.AmendCommitted(written,
                $"Committed after the caller was answered {answered!.StatusCode} {answered.ErrorCode}: {answered.Message}");
        }
        else
        {
            answered!.Message = $"{answered.Message} It was not applied.";
            log.Enqueue(answered);
        }
    }
}
