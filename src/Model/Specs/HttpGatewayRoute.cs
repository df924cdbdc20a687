using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRoute</c>.</summary>
public sealed record HttpGatewayRoute
{
    [JsonPropertyName("action")]
    public required HttpGatewayRouteAction Action { get; init; }

    [JsonPropertyName("match")]
    public required HttpGatewayRouteMatch Match { get; init; }
}
