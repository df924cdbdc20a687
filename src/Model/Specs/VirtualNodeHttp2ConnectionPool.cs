using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeHttp2ConnectionPool</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayHttp2ConnectionPool</c>.</remarks>
public sealed record VirtualNodeHttp2ConnectionPool
{
    [JsonPropertyName("maxRequests")]
    public required int MaxRequests { get; init; }
}
