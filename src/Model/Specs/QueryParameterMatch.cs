using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>QueryParameterMatch</c>.</summary>
public sealed record QueryParameterMatch
{
    [JsonPropertyName("exact")]
    public string? Exact { get; init; }
}
