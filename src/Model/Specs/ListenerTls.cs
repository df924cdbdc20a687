using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTls</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTls</c>.</remarks>
public sealed record ListenerTls
{
    [JsonPropertyName("certificate")]
    public required ListenerTlsCertificate Certificate { get; init; }

    [JsonPropertyName("mode")]
    public required ListenerTlsMode Mode { get; init; }

    [JsonPropertyName("validation")]
    public ListenerTlsValidationContext? Validation { get; init; }
}
