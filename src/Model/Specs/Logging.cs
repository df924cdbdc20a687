using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>Logging</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayLogging</c>.</remarks>
public sealed record Logging
{
    [JsonPropertyName("accessLog")]
    public AccessLog? AccessLog { get; init; }
}
