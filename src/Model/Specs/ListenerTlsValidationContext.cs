using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsValidationContext</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsValidationContext</c>.</remarks>
public sealed record ListenerTlsValidationContext
{
    [JsonPropertyName("subjectAlternativeNames")]
    public SubjectAlternativeNames? SubjectAlternativeNames { get; init; }

    [JsonPropertyName("trust")]
    public required ListenerTlsValidationContextTrust Trust { get; init; }
}
