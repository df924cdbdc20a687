using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GatewayRouteHostnameRewrite</c>.</summary>
public sealed record GatewayRouteHostnameRewrite
{
    [JsonPropertyName("defaultTargetHostname")]
    public DefaultGatewayRouteRewrite? DefaultTargetHostname { get; init; }
}
