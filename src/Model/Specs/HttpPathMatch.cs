using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpPathMatch</c>.</summary>
public sealed record HttpPathMatch
{
    [JsonPropertyName("exact")]
    public string? Exact { get; init; }

    [JsonPropertyName("regex")]
    public string? Regex { get; init; }
}
