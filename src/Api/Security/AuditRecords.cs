using Mesh.Persistence;

namespace Mesh.Api.Security;

/// <summary>
/// Builds audit rows, bounding what a client controls (a forged key id, a long message) to what the columns
/// hold, so a hostile request can never make its own audit record fail to write.
/// </summary>
public static class AuditRecords
{
    private const int MaxKeyId = 32;
    private const int MaxRequestId = 64;
    private const int MaxSourceAddress = 64;
    private const int MaxMessage = 2048;

    public static AuditRecordEntity Create(
        DateTimeOffset at, string accountId, string accessKeyId, string action, string resourceArn, string requestId,
        string sourceAddress, int statusCode, string errorCode, string message) => new()
        {
            At = at,
            AccountId = accountId,
            AccessKeyId = Bound(accessKeyId, MaxKeyId),
            Action = Bound(action, 64),
            ResourceArn = Bound(resourceArn, MaxMessage),
            RequestId = Bound(requestId, MaxRequestId),
            SourceAddress = Bound(sourceAddress, MaxSourceAddress),
            StatusCode = statusCode,
            ErrorCode = Bound(errorCode, 64),
            Message = Bound(message, MaxMessage),
        };

    /// <summary>Cuts to the column's length; PostgreSQL text also cannot hold NUL, so it is replaced.</summary>
    private static string Bound(string value, int max)
    {
        var cut = value.Length <= max ? value : value[..max];
        return cut.Contains('\0') ? cut.Replace('\0', '\uFFFD') : cut;
    }
}
