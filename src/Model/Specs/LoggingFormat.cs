using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>LoggingFormat</c>. A union: exactly one member is set.</summary>
public sealed record LoggingFormat
{
    [JsonPropertyName("json")]
    public EquatableList<JsonFormatRef>? Json { get; init; }

    [JsonPropertyName("text")]
    public string? Text { get; init; }
}
