using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ServiceDiscovery</c>. A union: exactly one member is set.</summary>
public sealed record ServiceDiscovery
{
    [JsonPropertyName("awsCloudMap")]
    public AwsCloudMapServiceDiscovery? AwsCloudMap { get; init; }

    [JsonPropertyName("dns")]
    public DnsServiceDiscovery? Dns { get; init; }
}
