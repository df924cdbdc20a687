using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TcpRouteMatch</c>.</summary>
public sealed record TcpRouteMatch
{
    [JsonPropertyName("port")]
    public int? Port { get; init; }
}
