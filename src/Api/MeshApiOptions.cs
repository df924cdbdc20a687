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
}
