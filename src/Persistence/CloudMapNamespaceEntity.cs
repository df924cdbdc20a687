namespace Mesh.Persistence;

/// <summary>
/// A Cloud Map namespace (HTTP, private DNS or public DNS). DNS namespaces are stored and served like HTTP ones;
/// no DNS server answers for them.
/// </summary>
public sealed class CloudMapNamespaceEntity
{
    /// <summary>Cloud Map's id, <c>ns-</c> followed by 16 characters.</summary>
    public required string Id { get; set; }

    public required string AccountId { get; set; }

    public required string Name { get; set; }

    /// <summary>HTTP, DNS_PRIVATE or DNS_PUBLIC.</summary>
    public required string Type { get; set; }

    public required string Arn { get; set; }

    public string? Description { get; set; }

    /// <summary>The wire's NamespaceProperties as jsonb (DnsProperties, HttpProperties).</summary>
    public required string Properties { get; set; }

    public string? CreatorRequestId { get; set; }

    /// <summary>The TagList as a jsonb array of {Key, Value}.</summary>
    public required string Tags { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
