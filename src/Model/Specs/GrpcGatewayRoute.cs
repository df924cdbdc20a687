using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcGatewayRoute</c>.</summary>
public sealed record GrpcGatewayRoute
{
    [JsonPropertyName("action")]
    public required GrpcGatewayRouteAction Action { get; init; }

    [JsonPropertyName("match")]
    public required GrpcGatewayRouteMatch Match { get; init; }
}
