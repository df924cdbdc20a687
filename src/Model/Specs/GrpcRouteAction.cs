using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcRouteAction</c>.</summary>
public sealed record GrpcRouteAction
{
    [JsonPropertyName("weightedTargets")]
    public required EquatableList<WeightedTarget> WeightedTargets { get; init; }
}
