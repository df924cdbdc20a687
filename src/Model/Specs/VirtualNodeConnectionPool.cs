using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualNodeConnectionPool</c>. A union: exactly one member is set.</summary>
public sealed record VirtualNodeConnectionPool
{
    [JsonPropertyName("grpc")]
    public VirtualNodeGrpcConnectionPool? Grpc { get; init; }

    [JsonPropertyName("http")]
    public VirtualNodeHttpConnectionPool? Http { get; init; }

    [JsonPropertyName("http2")]
    public VirtualNodeHttp2ConnectionPool? Http2 { get; init; }

    [JsonPropertyName("tcp")]
    public VirtualNodeTcpConnectionPool? Tcp { get; init; }
}
