using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HealthCheckPolicy</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayHealthCheckPolicy</c>.</remarks>
public sealed record HealthCheckPolicy
{
    [JsonPropertyName("healthyThreshold")]
    public required int HealthyThreshold { get; init; }

    [JsonPropertyName("intervalMillis")]
    public required long IntervalMillis { get; init; }

    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("protocol")]
    public required PortProtocol Protocol { get; init; }

    [JsonPropertyName("timeoutMillis")]
    public required long TimeoutMillis { get; init; }

    [JsonPropertyName("unhealthyThreshold")]
    public required int UnhealthyThreshold { get; init; }
}
