using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>PortMapping</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayPortMapping</c>.</remarks>
public sealed record PortMapping
{
    [JsonPropertyName("port")]
    public required int Port { get; init; }

    [JsonPropertyName("protocol")]
    public required PortProtocol Protocol { get; init; }
}
