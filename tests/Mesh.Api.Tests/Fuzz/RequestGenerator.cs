using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// Builds requests from the App Mesh model that are all invalid by construction. Each starts from a
/// plausible input (URI labels naming resources that exist, so nothing but the defect stands between
/// the request and a write) and gets at least one defect that the model or App Mesh's naming rules
/// forbid: a wrong JSON type, a number or length out of range, a bad enum, a missing required member,
/// a union with zero or two members, a malformed query value or token, unparseable or over-deep JSON,
/// an oversized body, or a label no resource can have. Around that, strings are often hostile (NUL,
/// control characters, unicode, '/', '%2F', very long).
/// </summary>
public sealed class RequestGenerator
{
    public const string Mesh = "fz";

    /// <summary>The seeded resource each URI label names by default.</summary>
    public static readonly IReadOnlyDictionary<string, string> ExistingNames = new Dictionary<string, string>
    {
        ["meshName"] = Mesh,
        ["virtualNodeName"] = "n",
        ["virtualRouterName"] = "r",
        ["routeName"] = "rt",
        ["virtualServiceName"] = "s.local",
        ["virtualGatewayName"] = "g",
        ["gatewayRouteName"] = "gr",
    };

    public static readonly string[] Categories =
    [
        "body value", "missing required", "union", "label", "query", "garbage json", "deep nesting", "huge body",
    ];

    private static readonly string[] HostileStrings =
    [
        "\0", "a\0b", "\u0001\u0002\u001f", "\t\r\n", "\u007f", "名前", "ñandú☃", "\U0001F600\U0001F4A9", "\u200b\u202e", "\uFEFF",
        "/", "a/b", "%2F", "a%2Fb", "%", "%00", "..", "../..", "'; DROP TABLE resources; --", "\"quoted\"", "\\", "<script>",
        "${jndi:x}", "{{7*7}}", " ", "  leading", "trailing  ", "null", "true", "0",
    ];

    private static readonly string[] ExistingArns =
    [
        $"arn:aws:appmesh:us-east-1:111122223333:mesh/{Mesh}",
        $"arn:aws:appmesh:us-east-1:111122223333:mesh/{Mesh}/virtualNode/n",
        $"arn:aws:appmesh:us-east-1:111122223333:mesh/{Mesh}/virtualRouter/r/route/rt",
        $"arn:aws:appmesh:us-east-1:111122223333:mesh/{Mesh}/virtualGateway/g/gatewayRoute/gr",
    ];

    private readonly ServiceModel model;
    private readonly Random random;

    public RequestGenerator(ServiceModel model, int seed)
    {
        this.model = model;
        random = new Random(seed);
    }

    public IEnumerable<FuzzRequest> Generate(int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Every operation equally often; for each, a kind of defect it can have, weighted so that
            // defects in bodies are not crowded out by the query and label defects every operation has.
            var operation = model.Operations[random.Next(model.Operations.Count)];
            FuzzRequest? request = null;
            while (request is null)
            {
                request = TryBuild(i, operation, Categories[PickCategory()]);
            }

            yield return request;
        }
    }

    private FuzzRequest? TryBuild(int index, Operation operation, string category)
    {
        var input = model.Shape(operation.InputShape!);
        var labels = input.Members.Where(m => m.Location == MemberLocation.Uri).ToList();
        var queries = input.Members.Where(m => m.Location == MemberLocation.QueryString).ToList();
        var bodyMembers = input.Members.Where(m => m.Location == MemberLocation.Body).ToList();

        var labelValues = labels.ToDictionary(m => m.LocationName, m => Chance(0.2) ? HostileName() : ExistingNames[m.Name]);
        var query = BaseQuery(queries);
        var body = bodyMembers.Count > 0 ? BaseBody(input, bodyMembers) : null;
        byte[]? rawBody = null;

        string detail;
        var applicable = category switch
        {
            "body value" or "garbage json" or "deep nesting" or "huge body" => body is not null,
            "missing required" => bodyMembers.Any(m => input.Required.Contains(m.Name)) || queries.Any(m => input.Required.Contains(m.Name)),
            "union" => body is not null && Slots(body, input, bodyMembers).Any(s => model.Shape(s.ShapeName).IsUnion),
            "label" => labels.Count > 0,
            "query" => queries.Count > 0,
            _ => false,
        };
        if (!applicable)
        {
            return null;
        }

        switch (category)
        {
            case "body value":
                detail = MutateBodyValue(body!, input, bodyMembers);
                break;
            case "missing required":
                detail = RemoveRequired(input, body, bodyMembers, query);
                break;
            case "union":
                detail = MutateUnion(body!, input, bodyMembers);
                break;
            case "label":
                var label = labels[random.Next(labels.Count)];
                labelValues[label.LocationName] = InvalidName(out detail);
                detail = $"{label.LocationName} {detail}";
                break;
            case "query":
                detail = MutateQuery(input, queries, query);
                break;
            case "garbage json":
                rawBody = GarbageJson(body!, out detail);
                break;
            case "deep nesting":
                rawBody = DeepJson(body!, out detail);
                break;
            default:
                rawBody = HugeBody(input, body!, out detail);
                break;
        }

        var path = operation.PathTemplate;
        foreach (var (name, value) in labelValues)
        {
            path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        }

        if (query.Count > 0)
        {
            path += "?" + string.Join('&', query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));
        }

        rawBody ??= body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());
        return new FuzzRequest(index, operation.Name, category, detail, new HttpMethod(operation.HttpMethod), path, rawBody);
    }

    private int PickCategory()
    {
        // body value, missing required, union, label, query, garbage, deep, huge
        int[] weights = [34, 10, 10, 12, 14, 11, 6, 3];
        var roll = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            if (roll < weights[i])
            {
                return i;
            }

            roll -= weights[i];
        }

        throw new InvalidOperationException("unreachable");
    }

    // ---------------------------------------------------------------- query

    private List<KeyValuePair<string, string>> BaseQuery(List<Member> queries)
    {
        var query = new List<KeyValuePair<string, string>>();
        foreach (var member in queries)
        {
            switch (member.LocationName)
            {
                case "resourceArn":
                    query.Add(new(member.LocationName, ExistingArns[random.Next(ExistingArns.Length)]));
                    break;
                case "limit" when Chance(0.4):
                    query.Add(new(member.LocationName, random.Next(1, 101).ToString(CultureInfo.InvariantCulture)));
                    break;
                case "meshOwner" when Chance(0.3):
                    query.Add(new(member.LocationName, "111122223333"));
                    break;
            }
        }

        return query;
    }

    private string MutateQuery(Shape input, List<Member> queries, List<KeyValuePair<string, string>> query)
    {
        var member = queries[random.Next(queries.Count)];
        var name = member.LocationName;
        query.RemoveAll(q => q.Key == name);
        string[] values = name switch
        {
            "limit" => ["abc", "0", "101", "-1", "1.5", "1e2", "", " 5", "0x10", "99999999999999999999", "2147483648", "\0", "１０"],
            "nextToken" => ["forged", "", "a.b", "eyJ9.AAAA", "%", new string('A', 6000), "\0\u0001", "eyJTY29wZSI6Im1lc2gvLyIsIkFmdGVyIjoiYSJ9.AAAAAAAAAAAAAAAAAAAAAA"],
            "meshOwner" => ["1", "abc", "", "1111222233334", "11112222333\0", "999988887777", "名前名前名前名前名前名前", "１１１１２２２２３３３３"],
            "resourceArn" => ["", "arn", "not-an-arn", "arn:aws:appmesh:us-east-1:111122223333:mesh/absent", "arn:aws:s3:::bucket",
                              "arn:aws:appmesh:us-east-1:111122223333:mesh/" + Mesh + "/virtualNode/absent\0", "arn:aws:appmesh:us-east-1:111122223333:mesh/" + new string('m', 5000)],
            _ => throw new InvalidOperationException($"unexpected query member {name}"),
        };

        if (name == "meshOwner" || name == "resourceArn")
        {
            // Every one of these is refused: wrong length or no such owner (NotFound), or no such ARN.
            var value = values[random.Next(values.Length)];
            query.Add(new(name, value));
            return $"{name}={Printable(value)}";
        }

        if (name == "limit" && Chance(0.15))
        {
            query.Add(new(name, "5"));
            query.Add(new(name, "6"));
            return "limit given twice";
        }

        var chosen = values[random.Next(values.Length)];
        query.Add(new(name, chosen));
        return $"{name}={Printable(chosen)}";
    }

    // ---------------------------------------------------------------- labels

    private string HostileName()
    {
        // Routable names App Mesh would accept or refuse; the request is made invalid elsewhere.
        var candidates = new[] { "名前", "ñandú☃", "\U0001F600", "a b", "a%2Fb", "%", "'; DROP TABLE resources; --", "\u200b", "x" + new string('y', 200), "UPPER", "a\\b" };
        return candidates[random.Next(candidates.Length)];
    }

    private string InvalidName(out string detail)
    {
        switch (random.Next(5))
        {
            case 0:
                var length = 256 + random.Next(700);
                detail = $"of {length} characters";
                return new string('n', length - 1) + "é";
            case 1:
                detail = "with '/'";
                return "a/" + HostileName();
            case 2:
                detail = "with a control character";
                return "a" + (char)random.Next(1, 32) + "b";
            case 3:
                detail = "with DEL";
                return "del\u007f";
            default:
                detail = "of 256 multi-byte characters";
                return string.Concat(Enumerable.Repeat("\U0001F600", 256));
        }
    }

    // ---------------------------------------------------------------- body

    private JsonObject BaseBody(Shape input, List<Member> bodyMembers)
    {
        var body = new JsonObject();
        foreach (var member in bodyMembers)
        {
            if (input.Required.Contains(member.Name) || Chance(0.6))
            {
                body[member.Name] = ValueFor(model.Shape(member.ShapeName), member.Name, 0);
            }
        }

        return body;
    }

    private JsonNode ValueFor(Shape shape, string memberName, int depth)
    {
        switch (shape.Type)
        {
            case ShapeType.Structure:
                var obj = new JsonObject();
                if (shape.IsUnion)
                {
                    var member = shape.Members[random.Next(shape.Members.Count)];
                    obj[member.Name] = ValueFor(model.Shape(member.ShapeName), member.Name, depth + 1);
                    return obj;
                }

                foreach (var member in shape.Members)
                {
                    if (shape.Required.Contains(member.Name) || (depth < 5 && Chance(0.45)))
                    {
                        obj[member.Name] = ValueFor(model.Shape(member.ShapeName), member.Name, depth + 1);
                    }
                }

                return obj;
            case ShapeType.List:
                var array = new JsonArray();
                var min = (int)Math.Max(shape.Min ?? 0, 1);
                var count = Math.Min(min + random.Next(2), (int)(shape.Max ?? 3));
                for (var i = 0; i < count; i++)
                {
                    array.Add(ValueFor(model.Shape(shape.ElementShape!), memberName, depth + 1));
                }

                return array;
            case ShapeType.String:
                if (shape.Enum is { } values)
                {
                    return values[random.Next(values.Count)];
                }

                if (ExistingNames.TryGetValue(memberName, out var existing) && Chance(0.5))
                {
                    return existing;
                }

                return Chance(0.3) ? HostileStrings[random.Next(HostileStrings.Length)] : "v" + random.Next(1000).ToString(CultureInfo.InvariantCulture);
            case ShapeType.Integer:
            case ShapeType.Long:
                var low = shape.Min ?? 0;
                var high = shape.Max ?? 1000;
                return low + (long)(random.NextDouble() * (high - low));
            case ShapeType.Boolean:
                return Chance(0.5);
            default:
                return 0;
        }
    }

    /// <summary>A place in the body: the container, the member name or index, and the shape it must have.</summary>
    private sealed record Slot(JsonNode Container, string? Name, int Index, string ShapeName, string Path);

    private List<Slot> Slots(JsonObject body, Shape input, List<Member> bodyMembers)
    {
        var slots = new List<Slot>();
        foreach (var member in bodyMembers)
        {
            if (body[member.Name] is { } value)
            {
                Collect(body, member.Name, -1, value, member.ShapeName, member.Name, slots);
            }
        }

        return slots;
    }

    private void Collect(JsonNode container, string? name, int index, JsonNode value, string shapeName, string path, List<Slot> slots)
    {
        slots.Add(new Slot(container, name, index, shapeName, path));
        var shape = model.Shape(shapeName);
        if (shape.Type == ShapeType.Structure && value is JsonObject obj)
        {
            foreach (var member in shape.Members)
            {
                if (obj[member.Name] is { } child)
                {
                    Collect(obj, member.Name, -1, child, member.ShapeName, $"{path}.{member.Name}", slots);
                }
            }
        }
        else if (shape.Type == ShapeType.List && value is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Collect(array, null, i, array[i]!, shape.ElementShape!, $"{path}[{i}]", slots);
            }
        }
    }

    private static void Replace(Slot slot, JsonNode? value)
    {
        if (slot.Name is not null)
        {
            slot.Container.AsObject()[slot.Name] = value;
        }
        else
        {
            slot.Container.AsArray()[slot.Index] = value;
        }
    }

    private static JsonNode Current(Slot slot) =>
        slot.Name is not null ? slot.Container.AsObject()[slot.Name]! : slot.Container.AsArray()[slot.Index]!;

    private string MutateBodyValue(JsonObject body, Shape input, List<Member> bodyMembers)
    {
        var slots = Slots(body, input, bodyMembers);
        if (slots.Count == 0)
        {
            // Nothing optional was generated: give the first body member a wrong type.
            var member = bodyMembers[0];
            body[member.Name] = WrongType(model.Shape(member.ShapeName));
            return $"{member.Name}: wrong type";
        }

        var slot = slots[random.Next(slots.Count)];
        var shape = model.Shape(slot.ShapeName);
        var options = new List<(string Detail, Func<JsonNode?> Value)>
        {
            ("wrong type", () => WrongType(shape)),
        };
        switch (shape.Type)
        {
            case ShapeType.String:
                options.Add(("NUL character", () => "before\0after"));
                if (shape.Min is >= 1)
                {
                    options.Add(("empty", () => ""));
                }

                if (shape.Max is { } maxLength)
                {
                    options.Add(($"longer than {maxLength}", () => new string('x', (int)maxLength + 1 + random.Next(40))));
                    options.Add(($"longer than {maxLength} in astral characters", () => string.Concat(Enumerable.Repeat("\U0001F4A9", (int)maxLength + 1))));
                }

                if (shape.Enum is { } values)
                {
                    options.Add(("not in the enum", () => values[random.Next(values.Count)].ToUpperInvariant() + "_X"));
                    options.Add(("enum in the wrong case", () => Recase(values[random.Next(values.Count)])));
                }

                break;
            case ShapeType.Integer:
            case ShapeType.Long:
                if (shape.Min is { } min)
                {
                    options.Add(($"below {min}", () => min - 1 - random.Next(1000)));
                }

                if (shape.Max is { } max)
                {
                    options.Add(($"above {max}", () => max + 1 + random.Next(1000)));
                }

                options.Add(("fraction", () => JsonNode.Parse("1.5")));
                options.Add(("beyond 64 bits", () => JsonNode.Parse("18446744073709551616")));
                if (shape.Type == ShapeType.Integer)
                {
                    options.Add(("beyond 32 bits", () => 2147483648L));
                }

                break;
            case ShapeType.List:
                options.Add(("null element", () => new JsonArray(null, ValueFor(model.Shape(shape.ElementShape!), "", 3))));
                if (shape.Min is >= 1)
                {
                    options.Add(("empty list", () => new JsonArray()));
                }

                if (shape.Max is { } maxItems)
                {
                    options.Add(($"more than {maxItems} items", () => new JsonArray(Enumerable.Range(0, (int)maxItems + 1)
                        .Select(_ => (JsonNode?)ValueFor(model.Shape(shape.ElementShape!), "", 4)).ToArray())));
                }

                break;
        }

        var (detail, make) = options[random.Next(options.Count)];
        Replace(slot, make());
        return $"{slot.Path}: {detail}";
    }

    private JsonNode WrongType(Shape shape)
    {
        JsonNode[] candidates = shape.Type switch
        {
            ShapeType.Structure => [JsonValue.Create("object")!, JsonValue.Create(1)!, new JsonArray(), JsonValue.Create(true)!],
            ShapeType.List => [new JsonObject(), JsonValue.Create("list")!, JsonValue.Create(0)!],
            ShapeType.String => [JsonValue.Create(42)!, JsonValue.Create(false)!, new JsonObject(), new JsonArray("s")],
            ShapeType.Integer or ShapeType.Long => [JsonValue.Create("7")!, JsonValue.Create(true)!, new JsonArray(7), new JsonObject()],
            ShapeType.Boolean => [JsonValue.Create("true")!, JsonValue.Create(1)!, new JsonObject()],
            _ => [new JsonObject()],
        };
        return candidates[random.Next(candidates.Length)];
    }

    private string RemoveRequired(Shape input, JsonObject? body, List<Member> bodyMembers, List<KeyValuePair<string, string>> query)
    {
        // Required members anywhere in the body (nested structures included), or a required query member.
        var choices = new List<(string Detail, Action Apply)>();
        foreach (var member in bodyMembers.Where(m => input.Required.Contains(m.Name) && body is not null))
        {
            choices.Add(($"{member.Name} missing", () => body!.Remove(member.Name)));
            choices.Add(($"{member.Name} null", () => body![member.Name] = null));
        }

        foreach (var member in input.Members.Where(m => m.Location == MemberLocation.QueryString && input.Required.Contains(m.Name)))
        {
            choices.Add(($"query {member.LocationName} missing", () => query.RemoveAll(q => q.Key == member.LocationName)));
        }

        if (body is not null)
        {
            foreach (var slot in Slots(body, input, bodyMembers))
            {
                var shape = model.Shape(slot.ShapeName);
                if (shape.Type == ShapeType.Structure && Current(slot) is JsonObject obj)
                {
                    foreach (var required in shape.Required.Where(r => obj.ContainsKey(r)))
                    {
                        choices.Add(($"{slot.Path}.{required} missing", () => obj.Remove(required)));
                    }
                }
            }
        }

        var (detail, apply) = choices[random.Next(choices.Count)];
        apply();
        return detail;
    }

    private string MutateUnion(JsonObject body, Shape input, List<Member> bodyMembers)
    {
        var unions = Slots(body, input, bodyMembers).Where(s => model.Shape(s.ShapeName).IsUnion).ToList();
        var slot = unions[random.Next(unions.Count)];
        var shape = model.Shape(slot.ShapeName);
        if (shape.Members.Count < 2 || Chance(0.4))
        {
            Replace(slot, new JsonObject());
            return $"{slot.Path}: union with no member";
        }

        var pair = shape.Members.OrderBy(_ => random.Next()).Take(2).ToList();
        var obj = new JsonObject();
        foreach (var member in pair)
        {
            obj[member.Name] = ValueFor(model.Shape(member.ShapeName), member.Name, 4);
        }

        Replace(slot, obj);
        return $"{slot.Path}: union with {pair[0].Name} and {pair[1].Name}";
    }

    // ---------------------------------------------------------------- raw bodies

    private byte[] GarbageJson(JsonObject body, out string detail)
    {
        // Never "{}": some of these defects (quote style) need at least one member to be defects at all.
        var valid = body.Count > 0 ? body.ToJsonString() : """{"spec":{}}""";
        switch (random.Next(12))
        {
            case 9:
                detail = "invalid UTF-8 in a string";
                var at = valid.IndexOf('"', StringComparison.Ordinal) + 1;
                return [.. Encoding.UTF8.GetBytes(valid[..at]), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(valid[at..])];
            case 10:
                detail = "unpaired surrogate escape";
                var quote = valid.IndexOf('"', StringComparison.Ordinal) + 1;
                return Encoding.UTF8.GetBytes(valid[..quote] + (Chance(0.5) ? "\\ud800" : "\\udfff") + valid[quote..]);
            case 11:
                detail = "member given twice";
                var first = body.FirstOrDefault();
                var twice = first.Key is null ? "\"spec\":{},\"spec\":{}" : $"{JsonSerializer.Serialize(first.Key)}:{first.Value?.ToJsonString() ?? "null"},{valid[1..^1]}";
                return Encoding.UTF8.GetBytes("{" + twice + "}");
            case 0:
                detail = "truncated";
                return Encoding.UTF8.GetBytes(valid[..Math.Max(1, random.Next(valid.Length - 1))]);
            case 1:
                var bytes = new byte[1 + random.Next(200)];
                random.NextBytes(bytes);
                bytes[0] = (byte)"xX!#<~"[random.Next(6)];
                detail = "random bytes";
                return bytes;
            case 2:
                string[] notObjects = ["[]", "[" + valid + "]", "\"" + Mesh + "\"", "42", "true", "null", "-0", "1e999"];
                var chosen = notObjects[random.Next(notObjects.Length)];
                detail = $"not an object: {Printable(chosen)}";
                return Encoding.UTF8.GetBytes(chosen);
            case 3:
                detail = "trailing comma";
                return Encoding.UTF8.GetBytes(valid[..^1] + ",}");
            case 4:
                detail = "single quotes";
                return Encoding.UTF8.GetBytes(valid.Replace('"', '\''));
            case 5:
                detail = "comment";
                return Encoding.UTF8.GetBytes("// comment\n" + valid);
            case 6:
                detail = "two documents";
                return Encoding.UTF8.GetBytes(valid + valid);
            case 7:
                detail = "NaN";
                return Encoding.UTF8.GetBytes("{\"x\": NaN}");
            default:
                detail = "unquoted member name";
                return Encoding.UTF8.GetBytes("{spec: {}}");
        }
    }

    private byte[] DeepJson(JsonObject body, out string detail)
    {
        var depth = 65 + random.Next(random.Next(2) == 0 ? 100 : 20000);
        var open = Chance(0.5) ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var member = body.Select(p => p.Key).FirstOrDefault() ?? "spec";
        var builder = new StringBuilder("{\"").Append(member).Append("\":");
        for (var i = 0; i < depth; i++)
        {
            builder.Append(open);
        }

        builder.Append('1');
        for (var i = 0; i < depth; i++)
        {
            builder.Append(close);
        }

        builder.Append('}');
        detail = $"{depth} levels under {member}";
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private byte[] HugeBody(Shape input, JsonObject body, out string detail)
    {
        // Over the 1 MiB limit, or just under it with an overlong string (still refused by the model).
        var over = Chance(0.5);
        var size = over ? 1024 * 1024 + 1 + random.Next(1024 * 1024) : 900 * 1024;
        // Into a member that a long string cannot satisfy: a structure, a list, or a string with a maximum.
        var member = body.Select(p => p.Key).FirstOrDefault(name =>
            model.Shape(input.FindMember(name)!.ShapeName) is var shape && (shape.Type != ShapeType.String || shape.Max is not null)) ?? "spec";
        var copy = (JsonObject)body.DeepClone();
        copy[member] = new string('x', size);
        detail = over ? $"{size} bytes, over the limit" : $"{size}-character {member}";
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    // ---------------------------------------------------------------- helpers

    private bool Chance(double p) => random.NextDouble() < p;

    private string Recase(string value)
    {
        var lower = value.ToLowerInvariant();
        var upper = value.ToUpperInvariant();
        return lower != value ? lower : upper != value ? upper : value + "_";
    }

    private static string Printable(string value) =>
        new(value.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
