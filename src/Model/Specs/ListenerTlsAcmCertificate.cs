using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsAcmCertificate</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsAcmCertificate</c>.</remarks>
public sealed record ListenerTlsAcmCertificate
{
    [JsonPropertyName("certificateArn")]
    public required string CertificateArn { get; init; }
}
