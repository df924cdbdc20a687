using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcGatewayRouteRewrite</c>.</summary>
public sealed record GrpcGatewayRouteRewrite
{
    [JsonPropertyName("hostname")]
    public GatewayRouteHostnameRewrite? Hostname { get; init; }
}
