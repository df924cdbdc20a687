using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpRetryPolicy</c>.</summary>
public sealed record HttpRetryPolicy
{
    [JsonPropertyName("httpRetryEvents")]
    public EquatableList<string>? HttpRetryEvents { get; init; }

    [JsonPropertyName("maxRetries")]
    public required long MaxRetries { get; init; }

    [JsonPropertyName("perRetryTimeout")]
    public required Duration PerRetryTimeout { get; init; }

    [JsonPropertyName("tcpRetryEvents")]
    public EquatableList<TcpRetryPolicyEvent>? TcpRetryEvents { get; init; }
}
