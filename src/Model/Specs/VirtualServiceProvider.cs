using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualServiceProvider</c>. A union: exactly one member is set.</summary>
public sealed record VirtualServiceProvider
{
    [JsonPropertyName("virtualNode")]
    public VirtualNodeServiceProvider? VirtualNode { get; init; }

    [JsonPropertyName("virtualRouter")]
    public VirtualRouterServiceProvider? VirtualRouter { get; init; }
}
