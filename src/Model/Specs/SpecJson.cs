using System.Text.Json;

namespace Mesh.Model.Specs;

/// <summary>
/// The System.Text.Json settings for App Mesh spec wire JSON. Member names and enum values are fixed by
/// attributes on the records, so these options only decide strictness and how nulls are written.
/// </summary>
public static class SpecJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Reads one spec; throws <see cref="JsonException"/> when the JSON does not fit the shape.</summary>
    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"A {typeof(T).Name} cannot be null.");

    public static string Serialize<T>(T spec) => JsonSerializer.Serialize(spec, Options);
}
