using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>BackendDefaults</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayBackendDefaults</c>.</remarks>
public sealed record BackendDefaults
{
    [JsonPropertyName("clientPolicy")]
    public ClientPolicy? ClientPolicy { get; init; }
}
