namespace Mesh.Security;

/// <summary>A newly created key. The secret is shown once, here, and never again.</summary>
public sealed record IssuedKey(string AccessKeyId, string SecretAccessKey, string AccountId, KeyPolicy Policy);
