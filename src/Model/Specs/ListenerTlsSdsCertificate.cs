using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsSdsCertificate</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsSdsCertificate</c>.</remarks>
public sealed record ListenerTlsSdsCertificate
{
    [JsonPropertyName("secretName")]
    public required string SecretName { get; init; }
}
