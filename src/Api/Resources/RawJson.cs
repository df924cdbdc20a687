using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Mesh.Api.Resources;

/// <summary>
/// JSON already rendered (a list page's items, written as their rows were read) carried in an answer's JsonObject
/// and copied into the response as it is, instead of being built as nodes first.
/// </summary>
public sealed class RawJson
{
    private static readonly JsonTypeInfo<RawJson> TypeInfo = (JsonTypeInfo<RawJson>)new JsonSerializerOptions
    {
        Converters = { new Converter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    }.GetTypeInfo(typeof(RawJson));

    private readonly ReadOnlyMemory<byte> utf8;

    private RawJson(ReadOnlyMemory<byte> utf8) => this.utf8 = utf8;

    /// <summary>A node holding <paramref name="utf8"/>, which must be one complete JSON value written by Utf8JsonWriter.</summary>
    public static JsonNode Of(ReadOnlyMemory<byte> utf8) => JsonValue.Create(new RawJson(utf8), TypeInfo)!;

    private sealed class Converter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Rendered JSON is only ever written.");

        // Written by Utf8JsonWriter, so already valid: not parsed again.
        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.utf8.Span, skipInputValidation: true);
    }
}
