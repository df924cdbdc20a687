namespace Mesh.Persistence;

/// <summary>Server-wide values every replica must agree on (e.g. the key that signs pagination tokens).</summary>
public sealed class SettingEntity
{
    public required string Key { get; set; }

    public required string Value { get; set; }
}
