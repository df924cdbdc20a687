using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeGrpcConnectionPool</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayGrpcConnectionPool</c>.</remarks>
public sealed record VirtualNodeGrpcConnectionPool
{
    [JsonPropertyName("maxRequests")]
    public required int MaxRequests { get; init; }
}
