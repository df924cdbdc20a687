using Mesh.Api.Security;
using Mesh.Persistence;

namespace Mesh.Api.Protocol;

/// <summary>
/// One App Mesh API call as the write path and the audit log see it: who makes it, from where, which
/// operation on which resource, and the status it answers with when it succeeds.
/// </summary>
public sealed record ApiCall(Caller Caller, string Operation, string ResourceArn, string RequestId, string SourceAddress, int SuccessStatus)
{
    public string AccountId => Caller.AccountId;

    /// <summary>The IAM-style action the policy check and the audit log name, e.g. appmesh:CreateRoute.</summary>
    public string Action => ActionOf(Operation);

    public static string ActionOf(string operation) => "appmesh:" + operation;

    public AuditRecordEntity ToAuditRecord(DateTimeOffset at, int statusCode, string errorCode = "", string message = "") =>
        AuditRecords.Create(at, AccountId, Caller.AccessKeyId, Action, ResourceArn, RequestId, SourceAddress, statusCode, errorCode, message);
}
