using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ClientPolicy</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayClientPolicy</c>.</remarks>
public sealed record ClientPolicy
{
    [JsonPropertyName("tls")]
    public ClientPolicyTls? Tls { get; init; }
}
