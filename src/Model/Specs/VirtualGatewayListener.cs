using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualGatewayListener</c>.</summary>
public sealed record VirtualGatewayListener
{
    [JsonPropertyName("connectionPool")]
    public VirtualGatewayConnectionPool? ConnectionPool { get; init; }

    [JsonPropertyName("healthCheck")]
    public HealthCheckPolicy? HealthCheck { get; init; }

    [JsonPropertyName("portMapping")]
    public required PortMapping PortMapping { get; init; }

    [JsonPropertyName("tls")]
    public ListenerTls? Tls { get; init; }
}
