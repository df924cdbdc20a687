using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>WeightedTarget</c>.</summary>
public sealed record WeightedTarget
{
    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("virtualNode")]
    public required string VirtualNode { get; init; }

    [JsonPropertyName("weight")]
    public required int Weight { get; init; }
}
