namespace Mesh.Persistence;

/// <summary>A Cloud Map service: a named set of instances in one namespace.</summary>
public sealed class CloudMapServiceEntity
{
    /// <summary>Cloud Map's id, <c>srv-</c> followed by 16 characters.</summary>
    public required string Id { get; set; }

    public required string AccountId { get; set; }

    public required string NamespaceId { get; set; }

    public required string Name { get; set; }

    public required string Arn { get; set; }

    public string? Description { get; set; }

    /// <summary>HTTP, DNS_HTTP or DNS, from the namespace's type and the DnsConfig.</summary>
    public required string Type { get; set; }

    /// <summary>The wire's DnsConfig, HealthCheckConfig and HealthCheckCustomConfig as jsonb; null when not set.</summary>
    public string? DnsConfig { get; set; }

    public string? HealthCheckConfig { get; set; }

    public string? HealthCheckCustomConfig { get; set; }

    /// <summary>The service attributes, a jsonb object of string values.</summary>
    public required string Attributes { get; set; }

    public string? CreatorRequestId { get; set; }

    public required string Tags { get; set; }

    /// <summary>
    /// DiscoverInstancesRevision: +1 on every register, deregister and health change of one of its instances.
    /// Instance writes lock this row, so they are serialized per service and the count never skips or repeats.
    /// </summary>
    public long Revision { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
