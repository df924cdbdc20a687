using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>AwsCloudMapInstanceAttribute</c>.</summary>
public sealed record AwsCloudMapInstanceAttribute
{
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    [JsonPropertyName("value")]
    public required string Value { get; init; }
}
