using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>AwsCloudMapServiceDiscovery</c>.</summary>
public sealed record AwsCloudMapServiceDiscovery
{
    [JsonPropertyName("attributes")]
    public EquatableList<AwsCloudMapInstanceAttribute>? Attributes { get; init; }

    [JsonPropertyName("ipPreference")]
    public IpPreference? IpPreference { get; init; }

    [JsonPropertyName("namespaceName")]
    public required string NamespaceName { get; init; }

    [JsonPropertyName("serviceName")]
    public required string ServiceName { get; init; }
}
