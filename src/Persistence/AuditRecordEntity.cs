namespace Mesh.Persistence;

/// <summary>
/// One mutating API call, or one call refused before it ran (authentication, rate limit), kept durably:
/// who did what to which resource, from where, and how it ended.
/// </summary>
public sealed class AuditRecordEntity
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public required string AccountId { get; set; }

    /// <summary>The access key that signed the call; empty when authentication is switched off.</summary>
    public required string AccessKeyId { get; set; }

    /// <summary>The IAM-style action, e.g. appmesh:CreateRoute.</summary>
    public required string Action { get; set; }

    public required string ResourceArn { get; set; }

    public required string RequestId { get; set; }

    public int StatusCode { get; set; }

    /// <summary>The error code (x-amzn-ErrorType) when the call failed, else empty.</summary>
    public required string ErrorCode { get; set; }

    /// <summary>Why the call failed (the error's message), else empty.</summary>
    public string Message { get; set; } = "";

    /// <summary>The client's IP address as the API saw it.</summary>
    public string SourceAddress { get; set; } = "";
}
