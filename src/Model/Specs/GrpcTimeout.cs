using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcTimeout</c>.</summary>
public sealed record GrpcTimeout
{
    [JsonPropertyName("idle")]
    public Duration? Idle { get; init; }

    [JsonPropertyName("perRequest")]
    public Duration? PerRequest { get; init; }
}
