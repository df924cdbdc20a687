using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>MeshSpec</c>.</summary>
public sealed record MeshSpec
{
    [JsonPropertyName("egressFilter")]
    public EgressFilter? EgressFilter { get; init; }

    [JsonPropertyName("serviceDiscovery")]
    public MeshServiceDiscovery? ServiceDiscovery { get; init; }
}
