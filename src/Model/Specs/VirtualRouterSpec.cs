using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualRouterSpec</c>.</summary>
public sealed record VirtualRouterSpec
{
    [JsonPropertyName("listeners")]
    public EquatableList<VirtualRouterListener>? Listeners { get; init; }
}
