namespace Mesh.Model.Observability;

/// <summary>One App Mesh tag (<c>TagRef</c>): a key of 1–128 characters and a value of 0–256.</summary>
public sealed record ResourceTag(string Key, string Value);
