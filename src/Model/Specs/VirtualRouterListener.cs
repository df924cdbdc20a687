using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualRouterListener</c>.</summary>
public sealed record VirtualRouterListener
{
    [JsonPropertyName("portMapping")]
    public required PortMapping PortMapping { get; init; }
}
