using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>SubjectAlternativeNames</c>.</summary>
public sealed record SubjectAlternativeNames
{
    [JsonPropertyName("match")]
    public required SubjectAlternativeNameMatchers Match { get; init; }
}
