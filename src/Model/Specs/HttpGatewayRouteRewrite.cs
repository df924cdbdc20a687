using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRouteRewrite</c>.</summary>
public sealed record HttpGatewayRouteRewrite
{
    [JsonPropertyName("hostname")]
    public GatewayRouteHostnameRewrite? Hostname { get; init; }

    [JsonPropertyName("path")]
    public HttpGatewayRoutePathRewrite? Path { get; init; }

    [JsonPropertyName("prefix")]
    public HttpGatewayRoutePrefixRewrite? Prefix { get; init; }
}
