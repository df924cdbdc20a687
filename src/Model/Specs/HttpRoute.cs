using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpRoute</c>.</summary>
public sealed record HttpRoute
{
    [JsonPropertyName("action")]
    public required HttpRouteAction Action { get; init; }

    [JsonPropertyName("match")]
    public required HttpRouteMatch Match { get; init; }

    [JsonPropertyName("retryPolicy")]
    public HttpRetryPolicy? RetryPolicy { get; init; }

    [JsonPropertyName("timeout")]
    public HttpTimeout? Timeout { get; init; }
}
