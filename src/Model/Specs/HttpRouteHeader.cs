using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpRouteHeader</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>HttpGatewayRouteHeader</c>.</remarks>
public sealed record HttpRouteHeader
{
    [JsonPropertyName("invert")]
    public bool? Invert { get; init; }

    [JsonPropertyName("match")]
    public HeaderMatchMethod? Match { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }
}
