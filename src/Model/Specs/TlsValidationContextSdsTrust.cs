using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TlsValidationContextSdsTrust</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayTlsValidationContextSdsTrust</c>.</remarks>
public sealed record TlsValidationContextSdsTrust
{
    [JsonPropertyName("secretName")]
    public required string SecretName { get; init; }
}
