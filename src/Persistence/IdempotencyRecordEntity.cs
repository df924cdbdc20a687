namespace Mesh.Persistence;

/// <summary>
/// Remembers a clientToken so that a retried request returns the original result and a reused
/// token with a different request is a conflict. Written in the same transaction as the change it guards.
/// </summary>
public sealed class IdempotencyRecordEntity
{
    public required string AccountId { get; set; }

    public required string ClientToken { get; set; }

    public required string Operation { get; set; }

    /// <summary>SHA-256 of the canonical request (operation, labels and body without the token).</summary>
    public required string RequestHash { get; set; }

    /// <summary>
    /// The response body that the first request produced, for records written before migration IdempotencyRecordFacts;
    /// null since: the answer is rendered again from the replayed request with <see cref="Uid"/>, <see cref="Version"/>,
    /// <see cref="ResourceCreatedAt"/> and <see cref="CreatedAt"/>.
    /// </summary>
    public string? Response { get; set; }

    /// <summary>The uid of the resource the first request wrote (null when it found no row: that write failed).</summary>
    public Guid? Uid { get; set; }

    /// <summary>The version the first request wrote.</summary>
    public long? Version { get; set; }

    /// <summary>The resource's creation time, when it is not <see cref="CreatedAt"/> (an update's; null for a create).</summary>
    public DateTimeOffset? ResourceCreatedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
