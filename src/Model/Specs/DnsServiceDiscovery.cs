using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>DnsServiceDiscovery</c>.</summary>
public sealed record DnsServiceDiscovery
{
    [JsonPropertyName("hostname")]
    public required string Hostname { get; init; }

    [JsonPropertyName("ipPreference")]
    public IpPreference? IpPreference { get; init; }

    [JsonPropertyName("responseType")]
    public DnsResponseType? ResponseType { get; init; }
}
