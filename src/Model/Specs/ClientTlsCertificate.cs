using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ClientTlsCertificate</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayClientTlsCertificate</c>.</remarks>
public sealed record ClientTlsCertificate
{
    [JsonPropertyName("file")]
    public ListenerTlsFileCertificate? File { get; init; }

    [JsonPropertyName("sds")]
    public ListenerTlsSdsCertificate? Sds { get; init; }
}
