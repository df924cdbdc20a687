using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Persistence;

namespace Mesh.Api.Resources;

/// <summary>
/// A write's answer (<c>{"virtualNode": {…}}</c>) written straight to UTF-8 from what the write knows: the row as the API
/// wrote it or as the write function returned it, and the spec as JSON already written. The same bytes as building the
/// *Data shape as nodes (<see cref="ResourceView.Data(ResourceKind, ResourceEntity, string, JsonNode?)"/>) and writing
/// those, which every write did before: a dictionary, three objects and a node per value, decimals for the times, and
/// for a clientToken's stored answer a second walk of the tree to text.
/// </summary>
public sealed class WrittenAnswer
{
    private readonly byte[] whole;
    private readonly int dataStart;
    private readonly int dataLength;

    private WrittenAnswer(byte[] whole, int dataStart, int dataLength)
    {
        this.whole = whole;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
    }

    /// <summary>The whole answer's bytes, as sent.</summary>
    public ReadOnlyMemory<byte> Utf8 => whole;

    /// <summary>The *Data object's bytes (the answer's one member's value).</summary>
    public ReadOnlyMemory<byte> Data => whole.AsMemory(dataStart, dataLength);

    /// <summary>The answer as the text stored with a clientToken (what <c>ToJsonString()</c> of <see cref="Output"/> gives).</summary>
    public string Text() => Encoding.UTF8.GetString(whole);

    /// <summary>The answer as the endpoint sends it: the *Data as rendered JSON under the kind's wire name.</summary>
    public JsonObject Output(ResourceKind kind) => new() { [kind.WireName] = RawJson.Of(Data) };

    /// <summary>
    /// The answer for <paramref name="entity"/> with <paramref name="spec"/> (one JSON value written by a
    /// <see cref="Utf8JsonWriter"/>, copied as it is) and <paramref name="status"/>.
    /// </summary>
    public static WrittenAnswer Of(ResourceView view, ResourceKind kind, ResourceEntity entity, ReadOnlySpan<byte> spec, string status) =>
        Render(view, kind, entity, status, default, spec);

    /// <summary>As the other overload, with the spec as a parsed element (written as <see cref="JsonElement.WriteTo"/> writes it).</summary>
    public static WrittenAnswer Of(ResourceView view, ResourceKind kind, ResourceEntity entity, JsonElement spec, string status) =>
        Render(view, kind, entity, status, spec, default);

    private static WrittenAnswer Render(ResourceView view, ResourceKind kind, ResourceEntity entity, string status, JsonElement parsed, ReadOnlySpan<byte> raw)
    {
        var buffer = RenderBuffers.Rent();
        try
        {
            int start, end;
            var writer = JsonWriters.Rent(buffer);
            writer.WriteStartObject();
            writer.WritePropertyName(kind.WireName);
            writer.Flush();
            start = buffer.WrittenCount;
            view.DataOf(kind).Write(writer, entity, parsed, raw, status);
            writer.Flush();
            end = buffer.WrittenCount;
            writer.WriteEndObject();
            JsonWriters.Return(writer);

            return new WrittenAnswer(buffer.WrittenSpan.ToArray(), start, end - start);
        }
        finally
        {
            RenderBuffers.Return(buffer);
        }
    }
}
