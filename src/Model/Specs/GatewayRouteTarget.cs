using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GatewayRouteTarget</c>.</summary>
public sealed record GatewayRouteTarget
{
    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("virtualService")]
    public required GatewayRouteVirtualService VirtualService { get; init; }
}
