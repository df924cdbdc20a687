using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpRouteAction</c>.</summary>
public sealed record HttpRouteAction
{
    [JsonPropertyName("weightedTargets")]
    public required EquatableList<WeightedTarget> WeightedTargets { get; init; }
}
