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

    public AuditRecordEntity ToAuditRecord(DateTimeOffset at, int statusCode, string errorCode = "", string message = "") =>
        AuditRecords.Create(at, AccountId, Caller.AccessKeyId, Action, ResourceArn, RequestId, SourceAddress, statusCode, errorCode, message);
}
