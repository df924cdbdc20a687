using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpTimeout</c>.</summary>
public sealed record HttpTimeout
{
    [JsonPropertyName("idle")]
    public Duration? Idle { get; init; }

    [JsonPropertyName("perRequest")]
    public Duration? PerRequest { get; init; }
}
