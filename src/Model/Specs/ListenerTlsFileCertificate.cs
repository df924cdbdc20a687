using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsFileCertificate</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsFileCertificate</c>.</remarks>
public sealed record ListenerTlsFileCertificate
{
    [JsonPropertyName("certificateChain")]
    public required string CertificateChain { get; init; }

    [JsonPropertyName("privateKey")]
    public required string PrivateKey { get; init; }
}
