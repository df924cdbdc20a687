using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

using Mesh.Api.Protocol;

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

    private ReadOnlyMemory<byte> utf8;
    private ArrayBufferWriter<byte>? rented;

    private RawJson(ReadOnlyMemory<byte> utf8, ArrayBufferWriter<byte>? rented = null)
    {
        this.utf8 = utf8;
        this.rented = rented;
    }

    /// <summary>A node holding <paramref name="utf8"/>, which must be one complete JSON value written by Utf8JsonWriter.</summary>
    public static JsonNode Of(ReadOnlyMemory<byte> utf8) => JsonValue.Create(new RawJson(utf8), TypeInfo)!;

    /// <summary>
    /// A node holding what was written into <paramref name="buffer"/>, rented from <see cref="RenderBuffers"/>: the
    /// buffer goes back when the answer it is part of has been sent (<see cref="ReturnRented"/>). Only for answers
    /// that are sent once and not kept (a list page), never for one stored with a clientToken.
    /// </summary>
    public static JsonNode OfRented(ArrayBufferWriter<byte> buffer) => JsonValue.Create(new RawJson(buffer.WrittenMemory, buffer), TypeInfo)!;

    /// <summary>
    /// Whether <paramref name="node"/> is rendered JSON itself (not an object holding some), and then its bytes: what
    /// writing it with a Utf8JsonWriter would produce, since it was written by one and is copied verbatim.
    /// </summary>
    public static bool TryGetUtf8(JsonNode node, out ReadOnlyMemory<byte> utf8)
    {
        if (node is JsonValue value && value.TryGetValue<RawJson>(out var raw))
        {
            utf8 = raw.utf8;
            return true;
        }

        utf8 = default;
        return false;
    }

    /// <summary>Gives back the rented buffers of an answer's members once it has been sent; the answer is not written again.</summary>
    public static void ReturnRented(JsonObject sent)
    {
        foreach (var (_, member) in sent)
        {
            if (member is JsonValue value && value.TryGetValue<RawJson>(out var raw) && raw.rented is { } buffer)
            {
                raw.rented = null;
                raw.utf8 = default;
                RenderBuffers.Return(buffer);
            }
        }
    }

    private sealed class Converter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Rendered JSON is only ever written.");

        // Written by Utf8JsonWriter, so already valid: not parsed again.
        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.utf8.Span, skipInputValidation: true);
    }
}
