using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>MatchRange</c>.</summary>
public sealed record MatchRange
{
    [JsonPropertyName("end")]
    public required long End { get; init; }

    [JsonPropertyName("start")]
    public required long Start { get; init; }
}
