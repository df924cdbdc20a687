using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TlsValidationContext</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayTlsValidationContext</c>.</remarks>
public sealed record TlsValidationContext
{
    [JsonPropertyName("subjectAlternativeNames")]
    public SubjectAlternativeNames? SubjectAlternativeNames { get; init; }

    [JsonPropertyName("trust")]
    public required TlsValidationContextTrust Trust { get; init; }
}
