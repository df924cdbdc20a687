using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTimeout</c>. A union: exactly one member is set.</summary>
public sealed record ListenerTimeout
{
    [JsonPropertyName("grpc")]
    public GrpcTimeout? Grpc { get; init; }

    [JsonPropertyName("http")]
    public HttpTimeout? Http { get; init; }

    [JsonPropertyName("http2")]
    public HttpTimeout? Http2 { get; init; }

    [JsonPropertyName("tcp")]
    public TcpTimeout? Tcp { get; init; }
}
