using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TcpRoute</c>.</summary>
public sealed record TcpRoute
{
    [JsonPropertyName("action")]
    public required TcpRouteAction Action { get; init; }

    [JsonPropertyName("match")]
    public TcpRouteMatch? Match { get; init; }

    [JsonPropertyName("timeout")]
    public TcpTimeout? Timeout { get; init; }
}
