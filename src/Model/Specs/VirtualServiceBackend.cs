using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualServiceBackend</c>.</summary>
public sealed record VirtualServiceBackend
{
    [JsonPropertyName("clientPolicy")]
    public ClientPolicy? ClientPolicy { get; init; }

    [JsonPropertyName("virtualServiceName")]
    public required string VirtualServiceName { get; init; }
}
