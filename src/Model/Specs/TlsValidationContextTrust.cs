using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TlsValidationContextTrust</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayTlsValidationContextTrust</c>.</remarks>
public sealed record TlsValidationContextTrust
{
    [JsonPropertyName("acm")]
    public TlsValidationContextAcmTrust? Acm { get; init; }

    [JsonPropertyName("file")]
    public TlsValidationContextFileTrust? File { get; init; }

    [JsonPropertyName("sds")]
    public TlsValidationContextSdsTrust? Sds { get; init; }
}
