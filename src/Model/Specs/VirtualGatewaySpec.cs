using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualGatewaySpec</c>.</summary>
public sealed record VirtualGatewaySpec
{
    [JsonPropertyName("backendDefaults")]
    public BackendDefaults? BackendDefaults { get; init; }

    [JsonPropertyName("listeners")]
    public required EquatableList<VirtualGatewayListener> Listeners { get; init; }

    [JsonPropertyName("logging")]
    public Logging? Logging { get; init; }
}
