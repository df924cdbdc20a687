using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcGatewayRouteMatch</c>.</summary>
public sealed record GrpcGatewayRouteMatch
{
    [JsonPropertyName("hostname")]
    public GatewayRouteHostnameMatch? Hostname { get; init; }

    [JsonPropertyName("metadata")]
    public EquatableList<GrpcRouteMetadata>? Metadata { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("serviceName")]
    public string? ServiceName { get; init; }
}
