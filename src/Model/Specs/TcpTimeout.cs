using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TcpTimeout</c>.</summary>
public sealed record TcpTimeout
{
    [JsonPropertyName("idle")]
    public Duration? Idle { get; init; }
}
