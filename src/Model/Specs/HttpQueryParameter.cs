using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpQueryParameter</c>.</summary>
public sealed record HttpQueryParameter
{
    [JsonPropertyName("match")]
    public QueryParameterMatch? Match { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }
}
