using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRoutePrefixRewrite</c>.</summary>
public sealed record HttpGatewayRoutePrefixRewrite
{
    [JsonPropertyName("defaultPrefix")]
    public DefaultGatewayRouteRewrite? DefaultPrefix { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }
}
