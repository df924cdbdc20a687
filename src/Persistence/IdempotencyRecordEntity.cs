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

    /// <summary>The response body that the first request produced.</summary>
    public required string Response { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
