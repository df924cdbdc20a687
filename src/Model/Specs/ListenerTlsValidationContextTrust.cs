using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsValidationContextTrust</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsValidationContextTrust</c>.</remarks>
public sealed record ListenerTlsValidationContextTrust
{
    [JsonPropertyName("file")]
    public TlsValidationContextFileTrust? File { get; init; }

    [JsonPropertyName("sds")]
    public TlsValidationContextSdsTrust? Sds { get; init; }
}
