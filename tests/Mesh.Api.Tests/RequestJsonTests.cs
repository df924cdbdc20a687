using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests;

/// <summary>
/// The body read in one pass (<see cref="RequestJson"/>) answers every body as the two passes did: the framework's parse
/// (<see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/>, depth 64) and then the check
/// of every string and member name (kept here, as it was, to compare with): the same tree for a good body, the same
/// message for a bad one, whatever order its problems come in.
/// </summary>
public sealed class RequestJsonTests
{
    public static TheoryData<string, byte[]> Bodies()
    {
        var bodies = new TheoryData<string, byte[]>();
        void Add(string what, string body) => bodies.Add(what, Encoding.UTF8.GetBytes(body));
        void AddBytes(string what, byte[] body) => bodies.Add(what, body);

        Add("a create", """{"virtualNodeName":"web","spec":{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"web.local"}}},"clientToken":"t","tags":[{"key":"k","value":"v"}]}""");
        Add("spaces, escapes and every kind of value", " {\r\n \"a\" : \"\\u00e9\\n<\\\"x\\\">\\ud83d\\ude00\", \"b\": [true, false, null, [], {}], \"c\": null, \"\\u0061b\": 1 }\n ");
        Add("numbers in every form", """{"a": 0, "b": -0, "c": 1.0, "d": 1e2, "e": -12.5E-3, "f": 123456789012345678901234567890, "g": [9223372036854775807, -9223372036854775808]}""");
        Add("an empty object", "{}");
        Add("an array", "[1, 2]");
        Add("a string", "\"x\"");
        Add("null", "null");
        Add("a number", "5");
        Add("only whitespace", "  \n ");
        Add("cut short", """{"meshName": """);
        Add("a missing colon", """{"a" 1}""");
        Add("a trailing comma", """{"a": 1,}""");
        Add("a comment", """{"a": 1 /* no */}""");
        Add("content after the value", """{"a": 1} x""");
        Add("a second value", """{"a": 1} {"b": 2}""");
        Add("single quotes", "{'a': 1}");
        Add("a bare word", """{"a": yes}""");
        Add("on the second line", "{\"a\": 1,\n \"b\": }");
        Add("nested past 64", "{\"a\":" + new string('[', 70) + new string(']', 70) + "}");
        Add("nested to 64", "{\"a\":" + new string('[', 63) + new string(']', 63) + "}");
        Add("a duplicate member", """{"meshName":"m5","meshName":"m6"}""");
        Add("a duplicate by escape", """{"ab":1,"\u0061b":2}""");
        Add("a duplicate nested", """{"meshName":"m7","spec":{"egressFilter":{"type":"ALLOW_ALL"},"egressFilter":{"type":"DROP_ALL"}}}""");
        Add("the same name in sibling objects", """{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}""");
        Add("an unpaired high surrogate in a value", """{"meshName":"m1","spec":{"egressFilter":{"type":"\ud800"}}}""");
        Add("an unpaired low surrogate in a value", """{"meshName":"\udc00x"}""");
        Add("an unpaired surrogate in a name", """{"meshName":"m2","\ud800":1}""");
        Add("a duplicate, then a bad string", """{"a":1,"a":"\ud800"}""");
        Add("a bad string, then a duplicate", """{"a":"\ud800","b":1,"b":2}""");
        Add("a bad string in a duplicate's value", """{"a":1,"a":{"b":"\ud800"}}""");
        Add("a duplicate, then not JSON", """{"a":1,"a":2,"b":}""");
        Add("a bad string, then not JSON", """{"a":"\ud800","b":""");
        Add("a bad string at the root of an array", """["\udc00"]""");
        Add("a duplicate in an array", """[{"a":1,"a":2}]""");
        Add("a long duplicate name", "{\"" + new string('n', 100) + "\":1,\"" + new string('n', 100) + "\":2}");
        Add("a duplicate name with a control character", "{\"a\\u0001\":1,\"a\\u0001\":2}");
        Add("an unpaired surrogate in the second element's member", """{"spec":{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":[1,[2,"x"]],"protocol":"a\ud800b"}}]}}""");
        Add("an unpaired surrogate in an array of strings", """{"a":{"b":["x",{},[],"y\udfff"]}}""");
        Add("an unpaired surrogate in a name after a nested object", """{"spec":{"listeners":[{"tls":{"mode":"STRICT"}},{"tls":{},"\ud800":1}]}}""");
        Add("a duplicate in an array's object", """{"spec":{"listeners":[{"tls":{}},{"tls":{},"tls":{}}]}}""");
        AddBytes("invalid UTF-8 in a value", [.. Encoding.UTF8.GetBytes("""{"meshName":"m3"""), 0xC3, 0x28, (byte)'"', (byte)'}']);
        AddBytes("invalid UTF-8 in a name", [.. Encoding.UTF8.GetBytes("""{"meshName":"m4","""), (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        AddBytes("invalid UTF-8 outside a string", [(byte)'{', 0xFF, (byte)'}']);
        Add("a known name twice, once escaped", """{"meshName":"m8","me\u0073hName":"m9"}""");
        Add("a known name twice", """{"spec":{"listeners":[]},"spec":{}}""");
        Add("known names and values beside unknown and non-ASCII ones", """{"spec":{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"tls":{"mode":"STRICT"}}],"serviceDiscovery":{"dns":{"hostname":"h\u00e9.local","responseType":"ENDPOINTS"}}},"ünïcødé":"http","http":"\u0068ttp","protocol ":"grpc","":"","clientToken":"\ud83d\ude00"}""");
        Add("a known name cut short", """{"meshNam":"x","meshNameX":"y","MESHNAME":"z"}""");
        Add("a known name with a NUL", "{\"meshName\\u0000\":\"x\"}");
        Add("a name of 64 and of 65 characters", "{\"" + new string('a', 64) + "\":1,\"" + new string('a', 65) + "\":2}");
        return bodies;
    }

    /// <summary>The model's member names and enum values, as the binder reads bodies with them.</summary>
    private static readonly KnownStrings Known = KnownStrings.Of(ServiceModel.AppMesh);

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ABody_IsAnsweredAsTheTwoPassesAnsweredIt(string what, byte[] body)
    {
        var expected = TwoPasses(body);
        var actual = Read(body, known: null);
        Assert.True(expected == actual, $"{what}:\nexpected {expected}\nactual   {actual}");
    }

    /// <summary>Read with the model's strings kept (as the binder reads a body), every body is answered as without them: the same tree, member for member, or the same refusal.</summary>
    [Theory]
    [MemberData(nameof(Bodies))]
    public void ABody_ReadWithTheKnownStrings_IsAnsweredAsWithout(string what, byte[] body)
    {
        var expected = Read(body, known: null);
        var actual = Read(body, Known);
        Assert.True(expected == actual, $"{what}:\nexpected {expected}\nactual   {actual}");
    }

    /// <summary>A string or member name that cannot be read, or a member named twice, is named by its JSON path, as the validator names members.</summary>
    [Theory]
    [InlineData("""{"virtualNodeName":"web","spec":{"listeners":[{"portMapping":{"port":8080,"protocol":"a\ud800b"}}]}}""",
        "the string at spec.listeners[0].portMapping.protocol is not valid UTF-8 or holds an unpaired UTF-16 surrogate escape (byte 86).")]
    [InlineData("""{"meshName":"\udc00"}""", "the string at meshName is not valid UTF-8")]
    [InlineData("""{"tags":[{"key":"k","value":"v"},{"key":"\ud800"}]}""", "the string at tags[1].key is not valid UTF-8")]
    [InlineData("""{"spec":{"listeners":[{},{"\ud800":1}]}}""", "a member name in the object at spec.listeners[1] is not valid UTF-8")]
    [InlineData("""{"meshName":"m","\ud800":1}""", "a member name in the body's top-level object is not valid UTF-8")]
    [InlineData("""{"spec":{"egressFilter":{"type":"ALLOW_ALL"},"egressFilter":{}}}""", "member \"egressFilter\" appears more than once in the object at spec (byte 46).")]
    public void AnUnreadableMember_IsNamedByItsPath(string body, string expected)
    {
        var refused = Assert.Throws<AppMeshException>(() => RequestJson.ReadObject(Encoding.UTF8.GetBytes(body), Known));
        Assert.Equal("BadRequestException", refused.Code.Name);
        Assert.Contains(expected, refused.Message);
    }

    [Fact]
    public void KnownNamesAndValues_AreTheModelsStrings_AndEveryOtherStringIsDecoded()
    {
        var body = RequestJson.ReadObject("""{"meshName":"http","spec":{"egressFilter":{"type":"DROP_ALL"}},"me\u0073hOwner":"\u0068ttp","other":"DROP_ALLX"}"""u8, Known);

        // The same instances for every body: a name or value spelled plainly is not decoded into a new string.
        var again = RequestJson.ReadObject("""{"meshName":"http","spec":{"egressFilter":{"type":"DROP_ALL"}}}"""u8, Known);
        Assert.Same(body.GetAt(0).Key, again.GetAt(0).Key);
        Assert.Same(body["meshName"]!.GetValue<string>(), again["meshName"]!.GetValue<string>());
        Assert.Same(body["spec"]!["egressFilter"]!["type"]!.GetValue<string>(), again["spec"]!["egressFilter"]!["type"]!.GetValue<string>());

        // Escaped, or not the model's: decoded as before, into strings of their own with the same text.
        var plainOwner = RequestJson.ReadObject("""{"meshOwner":"x"}"""u8, Known).GetAt(0).Key;
        Assert.Equal("meshOwner", body.GetAt(2).Key);
        Assert.NotSame(plainOwner, body.GetAt(2).Key);
        Assert.Equal("http", body["meshOwner"]!.GetValue<string>());
        Assert.NotSame(body["meshName"]!.GetValue<string>(), body["meshOwner"]!.GetValue<string>());
        Assert.Equal("DROP_ALLX", body["other"]!.GetValue<string>());
    }

    /// <summary>The body's tree as text with each object's member names in order, or the refusal it gets.</summary>
    private static string Read(byte[] body, KnownStrings? known)
    {
        string actual;
        try
        {
            var tree = RequestJson.ReadObject(body, known);
            actual = "tree " + tree.ToJsonString() + " names " + string.Join(",", Names(tree));
        }
        catch (AppMeshException error)
        {
            actual = $"{error.Code.Name}: {error.Message}";
        }

        return actual;
    }

    private static IEnumerable<string> Names(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(member => Names(member.Value).Prepend(member.Key)),
        JsonArray array => array.SelectMany(Names),
        _ => [],
    };

    [Fact]
    public void Numbers_KeepTheirText_ForTheValidatorsMessages()
    {
        var body = RequestJson.ReadObject("""{"a": 1.0, "b": -0, "c": 1e2}"""u8);

        Assert.Equal(["1.0", "-0", "1e2"], body.Select(member => member.Value!.ToJsonString()));
        Assert.All(body, member => Assert.Equal(JsonValueKind.Number, member.Value!.GetValueKind()));
        Assert.False(body["a"]!.AsValue().TryGetValue<long>(out _));
    }

    /// <summary>What the binder did before: the framework's parse, then the check of every string and member name.</summary>
    private static string TwoPasses(byte[] body)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException error)
        {
            var where = error.LineNumber is { } line ? $" at line {line + 1}, position {(error.BytePositionInLine ?? 0) + 1}" : "";
            var message = error.Message;
            var end = message.IndexOf(" Path:", StringComparison.Ordinal);
            return $"BadRequestException: The request body is not valid JSON{where}: {(end > 0 ? message[..end] : message)}";
        }

        if (Check(body) is { } refused)
        {
            return "BadRequestException: " + refused;
        }

        return parsed is JsonObject obj
            ? "tree " + obj.ToJsonString() + " names " + string.Join(",", Names(obj))
            : "BadRequestException: The request body must be a JSON object.";
    }

    private static string? Check(byte[] json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var levels = new List<HashSet<string>>();
        // The path as it is walked: each open container's text ("spec", "spec.listeners[0]") and, in an array, its next index.
        var containers = new Stack<(string Path, bool IsArray, int Next)>();
        var member = "";
        var depth = 0;

        // The path of the value the reader is at, counting it in its array.
        string ValuePath()
        {
            if (containers.Count == 0)
            {
                return "";
            }

            var (path, isArray, next) = containers.Pop();
            containers.Push((path, isArray, next + (isArray ? 1 : 0)));
            return isArray ? $"{path}[{next}]" : path.Length == 0 ? member : $"{path}.{member}";
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    containers.Push((ValuePath(), reader.TokenType == JsonTokenType.StartArray, 0));
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        break;
                    }

                    if (depth == levels.Count)
                    {
                        levels.Add(new HashSet<string>(StringComparer.Ordinal));
                    }

                    levels[depth++].Clear();
                    break;
                case JsonTokenType.EndObject:
                    containers.Pop();
                    depth--;
                    break;
                case JsonTokenType.EndArray:
                    containers.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    var objectPath = containers.Peek().Path;
                    string name;
                    try
                    {
                        name = reader.GetString()!;
                    }
                    catch (InvalidOperationException)
                    {
                        return Unreadable($"a member name in {ObjectAt(objectPath)}", reader.TokenStartIndex);
                    }

                    if (!levels[depth - 1].Add(name))
                    {
                        var printable = new string(name.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());
                        return $"The request body is not valid: member \"{printable}\" appears more than once in {ObjectAt(objectPath)} (byte {reader.TokenStartIndex + 1}).";
                    }

                    member = name;
                    break;
                case JsonTokenType.String:
                    var path = ValuePath();
                    try
                    {
                        reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return Unreadable($"the string at {(path.Length == 0 ? "the body's top level" : path)}", reader.TokenStartIndex);
                    }

                    break;
                default:
                    ValuePath();
                    break;
            }
        }

        return null;
    }

    private static string ObjectAt(string path) => path.Length == 0 ? "the body's top-level object" : $"the object at {path}";

    private static string Unreadable(string what, long at) =>
        $"The request body is not valid: {what} is not valid UTF-8 or holds an unpaired UTF-16 surrogate escape (byte {at + 1}).";
}
