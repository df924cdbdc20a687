using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>MeshServiceDiscovery</c>.</summary>
public sealed record MeshServiceDiscovery
{
    [JsonPropertyName("ipPreference")]
    public IpPreference? IpPreference { get; init; }
}
