using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcRoute</c>.</summary>
public sealed record GrpcRoute
{
    [JsonPropertyName("action")]
    public required GrpcRouteAction Action { get; init; }

    [JsonPropertyName("match")]
    public required GrpcRouteMatch Match { get; init; }

    [JsonPropertyName("retryPolicy")]
    public GrpcRetryPolicy? RetryPolicy { get; init; }

    [JsonPropertyName("timeout")]
    public GrpcTimeout? Timeout { get; init; }
}
