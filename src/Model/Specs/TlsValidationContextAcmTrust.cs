using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TlsValidationContextAcmTrust</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayTlsValidationContextAcmTrust</c>.</remarks>
public sealed record TlsValidationContextAcmTrust
{
    [JsonPropertyName("certificateAuthorityArns")]
    public required EquatableList<string> CertificateAuthorityArns { get; init; }
}
