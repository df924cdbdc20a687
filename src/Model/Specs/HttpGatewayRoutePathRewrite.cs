using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRoutePathRewrite</c>.</summary>
public sealed record HttpGatewayRoutePathRewrite
{
    [JsonPropertyName("exact")]
    public string? Exact { get; init; }
}
