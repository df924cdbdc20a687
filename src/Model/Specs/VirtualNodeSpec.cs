using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeSpec</c>.</summary>
public sealed record VirtualNodeSpec
{
    [JsonPropertyName("backendDefaults")]
    public BackendDefaults? BackendDefaults { get; init; }

    [JsonPropertyName("backends")]
    public EquatableList<Backend>? Backends { get; init; }

    [JsonPropertyName("listeners")]
    public EquatableList<Listener>? Listeners { get; init; }

    [JsonPropertyName("logging")]
    public Logging? Logging { get; init; }

    [JsonPropertyName("serviceDiscovery")]
    public ServiceDiscovery? ServiceDiscovery { get; init; }
}
