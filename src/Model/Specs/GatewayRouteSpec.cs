using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GatewayRouteSpec</c>.</summary>
public sealed record GatewayRouteSpec
{
    [JsonPropertyName("grpcRoute")]
    public GrpcGatewayRoute? GrpcRoute { get; init; }

    [JsonPropertyName("http2Route")]
    public HttpGatewayRoute? Http2Route { get; init; }

    [JsonPropertyName("httpRoute")]
    public HttpGatewayRoute? HttpRoute { get; init; }

    [JsonPropertyName("priority")]
    public int? Priority { get; init; }
}
