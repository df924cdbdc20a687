using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRouteAction</c>.</summary>
public sealed record HttpGatewayRouteAction
{
    [JsonPropertyName("rewrite")]
    public HttpGatewayRouteRewrite? Rewrite { get; init; }

    [JsonPropertyName("target")]
    public required GatewayRouteTarget Target { get; init; }
}
