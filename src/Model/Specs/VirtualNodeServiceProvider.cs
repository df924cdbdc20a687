using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeServiceProvider</c>.</summary>
public sealed record VirtualNodeServiceProvider
{
    [JsonPropertyName("virtualNodeName")]
    public required string VirtualNodeName { get; init; }
}
