using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TcpRouteAction</c>.</summary>
public sealed record TcpRouteAction
{
    [JsonPropertyName("weightedTargets")]
    public required EquatableList<WeightedTarget> WeightedTargets { get; init; }
}
