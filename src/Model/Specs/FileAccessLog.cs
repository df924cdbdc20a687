using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>FileAccessLog</c>.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayFileAccessLog</c>.</remarks>
public sealed record FileAccessLog
{
    [JsonPropertyName("format")]
    public LoggingFormat? Format { get; init; }

    [JsonPropertyName("path")]
    public required string Path { get; init; }
}
