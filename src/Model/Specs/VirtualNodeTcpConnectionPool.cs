using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeTcpConnectionPool</c>.</summary>
public sealed record VirtualNodeTcpConnectionPool
{
    [JsonPropertyName("maxConnections")]
    public required int MaxConnections { get; init; }
}
