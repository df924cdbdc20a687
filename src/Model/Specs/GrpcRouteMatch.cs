using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcRouteMatch</c>.</summary>
public sealed record GrpcRouteMatch
{
    [JsonPropertyName("metadata")]
    public EquatableList<GrpcRouteMetadata>? Metadata { get; init; }

    [JsonPropertyName("methodName")]
    public string? MethodName { get; init; }

    [JsonPropertyName("port")]
    public int? Port { get; init; }

    [JsonPropertyName("serviceName")]
    public string? ServiceName { get; init; }
}
