using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>RouteSpec</c>.</summary>
public sealed record RouteSpec
{
    [JsonPropertyName("grpcRoute")]
    public GrpcRoute? GrpcRoute { get; init; }

    [JsonPropertyName("http2Route")]
    public HttpRoute? Http2Route { get; init; }

    [JsonPropertyName("httpRoute")]
    public HttpRoute? HttpRoute { get; init; }

    [JsonPropertyName("priority")]
    public int? Priority { get; init; }

    [JsonPropertyName("tcpRoute")]
    public TcpRoute? TcpRoute { get; init; }
}
