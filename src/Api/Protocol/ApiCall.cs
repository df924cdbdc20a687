using Mesh.Api.Security;
using Mesh.Persistence;

namespace Mesh.Api.Protocol;

/// <summary>
/// One API call (App Mesh or Cloud Map) as the write path and the audit log see it: who makes it, from where,
/// which operation on which resource, and the status it answers with when it succeeds. <see cref="Service"/> is
/// the IAM service prefix of its action: appmesh, or servicediscovery for Cloud Map.
/// </summary>
public sealed record ApiCall(Caller Caller, string Operation, string ResourceArn, string RequestId, string SourceAddress, int SuccessStatus, string Service = "appmesh")
{
    public string AccountId => Caller.AccountId;

    /// <summary>The IAM-style action the policy check and the audit log name, e.g. appmesh:CreateRoute.</summary>
    public string Action => ActionOf(Operation, Service);

    public static string ActionOf(string operation, string service = "appmesh") => service + ":" + operation;

    /// <summary>
    /// Set when the call's write was left running at the deadline (see WriteTransactions): the endpoint hands it the
    /// refused call's audit record instead of queueing it, so the request gets one record saying what became of it.
    /// </summary>
    public AbandonedWriteAudit? AbandonedWrite { get; set; }

    /// <summary>The record of a refused or failed mutating call: handed to its abandoned write if it has one, else queued.</summary>
    public static void AuditRefused(ApiCall? call, AuditLog log, AuditRecordEntity record)
    {
        if (call?.AbandonedWrite is { } abandoned)
        {
            abandoned.Answered(record);
        }
        else
        {
            log.Enqueue(record);
        }
    }

    public AuditRecordEntity ToAuditRecord(DateTimeOffset at, int statusCode, string errorCode = "", string message = "") =>
        AuditRecords.Create(at, AccountId, Caller.AccessKeyId, Action, ResourceArn, RequestId, SourceAddress, statusCode, errorCode, message);
}
