using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TlsValidationContextFileTrust</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayTlsValidationContextFileTrust</c>.</remarks>
public sealed record TlsValidationContextFileTrust
{
    [JsonPropertyName("certificateChain")]
    public required string CertificateChain { get; init; }
}
