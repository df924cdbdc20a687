namespace Mesh.Persistence;

/// <summary>One registered instance of a Cloud Map service.</summary>
public sealed class CloudMapInstanceEntity
{
    public required string ServiceId { get; set; }

    /// <summary>The caller's instance id, unique within the service.</summary>
    public required string InstanceId { get; set; }

    public required string AccountId { get; set; }

    /// <summary>The instance attributes (AWS_INSTANCE_IPV4, AWS_INSTANCE_PORT, custom ones), a jsonb object of string values.</summary>
    public required string Attributes { get; set; }

    public string? CreatorRequestId { get; set; }

    /// <summary>HEALTHY or UNHEALTHY: the custom health status, or HEALTHY for a service without custom health checks.</summary>
    public required string HealthStatus { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// The xDS server replica that keeps this instance registered for a connected sidecar (automatic registration);
    /// null for an instance registered through the API, which never expires.
    /// </summary>
    public string? LeaseOwner { get; set; }

    /// <summary>When an automatic registration lapses unless a replica holding the sidecar's stream renews it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }
}
