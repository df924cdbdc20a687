using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>Backend</c>. A union: exactly one member is set.</summary>
public sealed record Backend
{
    [JsonPropertyName("virtualService")]
    public VirtualServiceBackend? VirtualService { get; init; }
}
