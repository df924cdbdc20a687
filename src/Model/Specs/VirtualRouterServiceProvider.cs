using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualRouterServiceProvider</c>.</summary>
public sealed record VirtualRouterServiceProvider
{
    [JsonPropertyName("virtualRouterName")]
    public required string VirtualRouterName { get; init; }
}
