using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>OutlierDetection</c>.</summary>
public sealed record OutlierDetection
{
    [JsonPropertyName("baseEjectionDuration")]
    public required Duration BaseEjectionDuration { get; init; }

    [JsonPropertyName("interval")]
    public required Duration Interval { get; init; }

    [JsonPropertyName("maxEjectionPercent")]
    public required int MaxEjectionPercent { get; init; }

    [JsonPropertyName("maxServerErrors")]
    public required long MaxServerErrors { get; init; }
}
