using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcGatewayRouteAction</c>.</summary>
public sealed record GrpcGatewayRouteAction
{
    [JsonPropertyName("rewrite")]
    public GrpcGatewayRouteRewrite? Rewrite { get; init; }

    [JsonPropertyName("target")]
    public required GatewayRouteTarget Target { get; init; }
}
