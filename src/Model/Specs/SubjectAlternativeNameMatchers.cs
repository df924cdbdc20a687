using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>SubjectAlternativeNameMatchers</c>.</summary>
public sealed record SubjectAlternativeNameMatchers
{
    [JsonPropertyName("exact")]
    public required EquatableList<string> Exact { get; init; }
}
