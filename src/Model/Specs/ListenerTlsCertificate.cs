using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsCertificate</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsCertificate</c>.</remarks>
public sealed record ListenerTlsCertificate
{
    [JsonPropertyName("acm")]
    public ListenerTlsAcmCertificate? Acm { get; init; }

    [JsonPropertyName("file")]
    public ListenerTlsFileCertificate? File { get; init; }

    [JsonPropertyName("sds")]
    public ListenerTlsSdsCertificate? Sds { get; init; }
}
