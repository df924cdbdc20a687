using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GatewayRouteVirtualService</c>.</summary>
public sealed record GatewayRouteVirtualService
{
    [JsonPropertyName("virtualServiceName")]
    public required string VirtualServiceName { get; init; }
}
