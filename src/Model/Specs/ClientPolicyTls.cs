using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ClientPolicyTls</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayClientPolicyTls</c>.</remarks>
public sealed record ClientPolicyTls
{
    [JsonPropertyName("certificate")]
    public ClientTlsCertificate? Certificate { get; init; }

    [JsonPropertyName("enforce")]
    public bool? Enforce { get; init; }

    [JsonPropertyName("ports")]
    public EquatableList<int>? Ports { get; init; }

    [JsonPropertyName("validation")]
    public required TlsValidationContext Validation { get; init; }
}
