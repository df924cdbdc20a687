namespace Mesh.Persistence;

/// <summary>
/// An API access key. The secret is stored only encrypted (AES-GCM under the configured master key),
/// because the server needs the secret itself to verify SigV4 signatures; a hash would not do.
/// </summary>
public sealed class AccessKeyEntity
{
    public required string AccessKeyId { get; set; }

    /// <summary>The 12-digit account the key acts as.</summary>
    public required string AccountId { get; set; }

    /// <summary>nonce (12 bytes) | tag (16 bytes) | ciphertext, with the access key id as associated data.</summary>
    public required byte[] SecretCiphertext { get; set; }

    /// <summary>The key's allow-statements as JSON: {"statements":[{"actions":[...],"resources":[...]}]}.</summary>
    public required string Policy { get; set; }

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when the key is revoked; a revoked key authenticates nothing.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
