using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcRetryPolicy</c>.</summary>
public sealed record GrpcRetryPolicy
{
    [JsonPropertyName("grpcRetryEvents")]
    public EquatableList<GrpcRetryPolicyEvent>? GrpcRetryEvents { get; init; }

    [JsonPropertyName("httpRetryEvents")]
    public EquatableList<string>? HttpRetryEvents { get; init; }

    [JsonPropertyName("maxRetries")]
    public required long MaxRetries { get; init; }

    [JsonPropertyName("perRetryTimeout")]
    public required Duration PerRetryTimeout { get; init; }

    [JsonPropertyName("tcpRetryEvents")]
    public EquatableList<TcpRetryPolicyEvent>? TcpRetryEvents { get; init; }
}
