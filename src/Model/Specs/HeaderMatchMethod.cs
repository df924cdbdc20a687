using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HeaderMatchMethod</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>GrpcMetadataMatchMethod</c>, <c>GrpcRouteMetadataMatchMethod</c>.</remarks>
public sealed record HeaderMatchMethod
{
    [JsonPropertyName("exact")]
    public string? Exact { get; init; }

    [JsonPropertyName("prefix")]
    public string? Prefix { get; init; }

    [JsonPropertyName("range")]
    public MatchRange? Range { get; init; }

    [JsonPropertyName("regex")]
    public string? Regex { get; init; }

    [JsonPropertyName("suffix")]
    public string? Suffix { get; init; }
}
