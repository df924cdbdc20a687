using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeHttpConnectionPool</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayHttpConnectionPool</c>.</remarks>
public sealed record VirtualNodeHttpConnectionPool
{
    [JsonPropertyName("maxConnections")]
    public required int MaxConnections { get; init; }

    [JsonPropertyName("maxPendingRequests")]
    public int? MaxPendingRequests { get; init; }
}
