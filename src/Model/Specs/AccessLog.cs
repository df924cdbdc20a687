using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>AccessLog</c>. A union: exactly one member is set.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayAccessLog</c>.</remarks>
public sealed record AccessLog
{
    [JsonPropertyName("file")]
    public FileAccessLog? File { get; init; }
}
