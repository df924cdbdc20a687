namespace Mesh.Security;

/// <summary>A key that may authenticate requests, with its decrypted secret (kept in memory only).</summary>
public sealed record ActiveKey(string AccessKeyId, string Secret, string AccountId, KeyPolicy Policy);
