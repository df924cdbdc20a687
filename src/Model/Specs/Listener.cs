using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>Listener</c>.</summary>
public sealed record Listener
{
    [JsonPropertyName("connectionPool")]
    public VirtualNodeConnectionPool? ConnectionPool { get; init; }

    [JsonPropertyName("healthCheck")]
    public HealthCheckPolicy? HealthCheck { get; init; }

    [JsonPropertyName("outlierDetection")]
    public OutlierDetection? OutlierDetection { get; init; }

    [JsonPropertyName("portMapping")]
    public required PortMapping PortMapping { get; init; }

    [JsonPropertyName("timeout")]
    public ListenerTimeout? Timeout { get; init; }

    [JsonPropertyName("tls")]
    public ListenerTls? Tls { get; init; }
}
