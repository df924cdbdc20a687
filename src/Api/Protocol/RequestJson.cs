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
        Problem? unreadable = null;
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

        if (unreadable is { } problem)
        {
            throw problem.Refusal(json);
        }

        return root as JsonObject ?? throw AppMeshException.BadRequest("The request body must be a JSON object.");
    }

    /// <summary>
    /// The value at the reader's token, read to its last token. The first unreadable string or duplicate member is kept
    /// in <paramref name="unreadable"/> (and the value left out) while the rest is read, so that a body that is not JSON
    /// further on is refused as such.
    /// </summary>
    private static JsonNode? ReadValue(ref Utf8JsonReader reader, KnownStrings? known, ref Problem? unreadable)
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
                        unreadable ??= new Problem(at, name);
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

    private static string? Decode(ref Utf8JsonReader reader, ref Problem? unreadable)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            unreadable ??= new Problem(reader.TokenStartIndex, Duplicate: null);
            return null;
        }
    }

    /// <summary>
    /// The first string or member name in the body that cannot be read, or (<paramref name="Duplicate"/>) the first
    /// member named twice in one object: kept by where its token starts, and named by its JSON path only when refused.
    /// </summary>
    private readonly record struct Problem(long At, string? Duplicate)
    {
        public AppMeshException Refusal(ReadOnlySpan<byte> json)
        {
            var (path, isName) = PathOf(json, At);
            if (Duplicate is not null)
            {
                return AppMeshException.BadRequest(
                    $"The request body is not valid: member \"{RequestBinder.Printable(Duplicate)}\" appears more than once in {ObjectAt(path)} (byte {At + 1}).");
            }

            var what = isName ? $"a member name in {ObjectAt(path)}" : $"the string at {(path.Length == 0 ? "the body's top level" : path)}";
            return AppMeshException.BadRequest(
                $"The request body is not valid: {what} is not valid UTF-8 or holds an unpaired UTF-16 surrogate escape (byte {At + 1}).");
        }

        private static string ObjectAt(string path) => path.Length == 0 ? "the body's top-level object" : $"the object at {path}";
    }

    /// <summary>
    /// The JSON path of the token that starts at byte <paramref name="at"/>, written as the validator names members
    /// ("spec.listeners[0].portMapping.port"), and whether that token is a member name (its path is then the object's).
    /// </summary>
    /// <remarks>
    /// Found by reading the body again up to the token, only for a body that is refused: the one pass that builds the
    /// tree keeps no path, as almost every body has nothing to refuse. Everything before the token was read without a
    /// problem the first time (the problem kept is the first), so every member name on the way decodes.
    /// </remarks>
    private static (string Path, bool IsName) PathOf(ReadOnlySpan<byte> json, long at)
    {
        var reader = new Utf8JsonReader(json, Options);
        // Per open container: for an object its current member's name, for an array how many elements came before.
        var steps = new List<(string? Member, int Index)>();
        while (reader.Read())
        {
            var isName = reader.TokenType == JsonTokenType.PropertyName;
            if (reader.TokenStartIndex == at)
            {
                return (PathText(steps, isName ? steps.Count - 1 : steps.Count), isName);
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    steps[^1] = (reader.GetString(), 0);
                    break;
                case JsonTokenType.StartObject:
                    steps.Add(("", 0));
                    break;
                case JsonTokenType.StartArray:
                    steps.Add((null, 0));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    steps.RemoveAt(steps.Count - 1);
                    Counted(steps);
                    break;
                default:
                    Counted(steps);
                    break;
            }
        }

        return ("", false);

        // A value has ended: in an array, the next one has the next index.
        static void Counted(List<(string? Member, int Index)> steps)
        {
            if (steps.Count > 0 && steps[^1].Member is null)
            {
                steps[^1] = (null, steps[^1].Index + 1);
            }
        }
    }

    /// <summary>The first <paramref name="count"/> steps as a path: members joined by '.', array elements as [index].</summary>
    private static string PathText(List<(string? Member, int Index)> steps, int count)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (member, index) in steps.Take(count))
        {
            if (member is null)
            {
                text.Append('[').Append(index).Append(']');
            }
            else
            {
                (text.Length == 0 ? text : text.Append('.')).Append(RequestBinder.Printable(member));
            }
        }

        return text.ToString();
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
