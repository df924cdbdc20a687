using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>EgressFilter</c>.</summary>
public sealed record EgressFilter
{
    [JsonPropertyName("type")]
    public required EgressFilterType Type { get; init; }
}
