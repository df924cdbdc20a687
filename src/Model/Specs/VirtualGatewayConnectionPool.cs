using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualGatewayConnectionPool</c>. A union: exactly one member is set.</summary>
public sealed record VirtualGatewayConnectionPool
{
    [JsonPropertyName("grpc")]
    public VirtualNodeGrpcConnectionPool? Grpc { get; init; }

    [JsonPropertyName("http")]
    public VirtualNodeHttpConnectionPool? Http { get; init; }

    [JsonPropertyName("http2")]
    public VirtualNodeHttp2ConnectionPool? Http2 { get; init; }
}
