namespace Mesh.Api;

/// <summary>The "Mesh" configuration section.</summary>
public sealed class MeshApiOptions
{
    public const string Section = "Mesh";

    /// <summary>The region written into ARNs.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>The 12-digit account that owns resources created through this API.</summary>
    public string AccountId { get; set; } = "111122223333";

    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>
    /// How long one API call may take before it is answered with ServiceUnavailableException: a database that
    /// hangs (stopped, not gone) must not hang callers. Far above any call's normal time.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
