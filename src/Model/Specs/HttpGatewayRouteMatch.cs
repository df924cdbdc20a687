using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpGatewayRouteMatch</c>.</summary>
public sealed record HttpGatewayRouteMatch
{
    [JsonPropertyName("headers")]
    public EquatableList<HttpRouteHeader>? Headers { get; init; }

    [JsonPropertyName("hostname")]
    public GatewayRouteHostnameMatch? Hostname { get; init; }

    [JsonPropertyName("method")]
    public HttpMethod? Method { get; init; }

    [JsonPropertyName("path")]
    public HttpPathMatch? Path { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("prefix")]
    public string? Prefix { get; init; }

    [JsonPropertyName("queryParameters")]
    public EquatableList<HttpQueryParameter>? QueryParameters { get; init; }
}
