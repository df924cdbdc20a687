using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Api.Protocol;

/// <summary>
/// A request body read into a <see cref="JsonObject"/> in one pass of the reader: every member name and string decoded
/// once, each object's member names checked for duplicates as it is built.
/// </summary>
/// <remarks>
/// The binder used to parse the body with <see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/>
/// (which copies the body, builds a document, and decodes names and strings again when the validator reads them) and then
/// read it a second time to find what that parse lets through but cannot be read later: strings that are invalid UTF-8 or
/// hold an unpaired surrogate escape, and a member named twice in one object. The answers are the same: a body that is
/// not JSON is refused with the reader's own message (the same reader, with the same options, reads the whole body
/// before anything else is refused); then the first unreadable string or duplicate member in the body's order; then a
/// body that is not an object. Numbers are kept as the reader's elements, so the validator sees their text as before.
/// </remarks>
internal static class RequestJson
{
    /// <summary>How deep a body may nest (the parser's limit before, too).</summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// The body as an object, or the BadRequest its first problem gets. Member names and strings that are among
    /// <paramref name="known"/> are its strings rather than new ones.
    /// </summary>
    public static JsonObject ReadObject(ReadOnlySpan<byte> json, KnownStrings? known = null)
    {
        var reader = new Utf8JsonReader(json, Options);
        AppMeshException? unreadable = null;
        JsonNode? root;
        try
        {
            reader.Read();
            root = ReadValue(ref reader, known, ref unreadable);

            // Anything after the value but whitespace is refused by the reader (the body is its final block).
            while (reader.Read())
            {
            }
        }
        catch (JsonException error)
        {
            var where = error.LineNumber is { } line
                ? $" at line {line + 1}, position {(error.BytePositionInLine ?? 0) + 1}"
                : "";
            throw AppMeshException.BadRequest($"The request body is not valid JSON{where}: {FirstSentence(error.Message)}");
        }

        if (unreadable is not null)
        {
            throw unreadable;
        }

        return root as JsonObject ?? throw AppMeshException.BadRequest("The request body must be a JSON object.");
    }

    /// <summary>
    /// The value at the reader's token, read to its last token. The first unreadable string or duplicate member is kept
    /// in <paramref name="unreadable"/> (and the value left out) while the rest is read, so that a body that is not JSON
    /// further on is refused as such.
    /// </summary>
    private static JsonNode? ReadValue(ref Utf8JsonReader reader, KnownStrings? known, ref AppMeshException? unreadable)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var at = reader.TokenStartIndex;
                    var name = known?.Find(ref reader) ?? Decode(ref reader, ref unreadable);
                    if (name is not null && obj.ContainsKey(name))
                    {
                        unreadable ??= AppMeshException.BadRequest(
                            $"The request body is not valid: member \"{RequestBinder.Printable(name)}\" appears more than once in the same object (byte {at + 1}).");
                        name = null;
                    }

                    reader.Read();
                    var value = ReadValue(ref reader, known, ref unreadable);
                    if (name is not null)
                    {
                        obj.Add(name, value);
                    }
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, known, ref unreadable));
                }

                return array;
            case JsonTokenType.String:
                return (known?.Find(ref reader) ?? Decode(ref reader, ref unreadable)) is { } text ? JsonValue.Create(text) : null;
            case JsonTokenType.Number:
                // As the document-backed nodes held them: the validator reads the number's own text.
                return JsonValue.Create(JsonElement.ParseValue(ref reader));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    private static string? Decode(ref Utf8JsonReader reader, ref AppMeshException? unreadable)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            unreadable ??= AppMeshException.BadRequest(
                $"The request body is not valid JSON at byte {reader.TokenStartIndex + 1}: a string is not valid UTF-8 or holds an unpaired UTF-16 surrogate escape.");
            return null;
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
