using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GatewayRouteHostnameMatch</c>.</summary>
public sealed record GatewayRouteHostnameMatch
{
    [JsonPropertyName("exact")]
    public string? Exact { get; init; }

    [JsonPropertyName("suffix")]
    public string? Suffix { get; init; }
}
