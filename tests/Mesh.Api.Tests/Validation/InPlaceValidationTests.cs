using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests.Validation;

/// <summary>
/// The validator cleans the request's own tree in place (<see cref="ShapeValidator"/>); the copying validator it replaced
/// is kept in <see cref="CopyingShapeValidator"/>. For every body here both run on their own tree read from the same
/// text, and must give the same violations (paths and messages, in order) or the same exception, and for a valid body
/// the same bytes: the value as a write stores it (the spec written as <c>ResourceOperations.Utf8Of</c> writes it, the
/// whole input too) and the clientToken's hashes (<see cref="CanonicalJson"/>). The bodies: every operation of both
/// models with values of every member drawn from the model (plain, and hostile: unknown and null members at every depth,
/// nulls in lists, members out of the model's order, names and strings with escapes, "-0", exponents and decimals for
/// integers, wrong types), a small model of every shape type (timestamps and maps appear in no App Mesh input), and
/// bodies written out by hand.
/// </summary>
public sealed class InPlaceValidationTests
{
    private const int BodiesPerOperation = 150;

    private static readonly ServiceModel EveryType = ServiceModel.Parse(JsonDocument.Parse("""
        {
          "operations": {},
          "shapes": {
            "Root": {"type": "structure", "required": ["name"], "members": {
              "name": {"shape": "Name"}, "count": {"shape": "Count"}, "big": {"shape": "Big"}, "flag": {"shape": "Flag"},
              "at": {"shape": "Time"}, "attributes": {"shape": "Attributes"}, "items": {"shape": "Items"},
              "choice": {"shape": "Choice"}, "times": {"shape": "Times"}}},
            "Name": {"type": "string", "min": 1, "max": 32},
            "Count": {"type": "integer", "min": 0, "max": 1000},
            "Big": {"type": "long"},
            "Flag": {"type": "boolean"},
            "Time": {"type": "timestamp"},
            "Attributes": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Item"}, "max": 4},
            "Items": {"type": "list", "member": {"shape": "Item"}, "max": 5},
            "Item": {"type": "structure", "members": {
              "name": {"shape": "Name"}, "at": {"shape": "Time"}, "count": {"shape": "Count"}, "items": {"shape": "Items"},
              "attributes": {"shape": "Attributes"}}},
            "Choice": {"type": "structure", "union": true, "members": {
              "first": {"shape": "Item"}, "second": {"shape": "Count"}, "third": {"shape": "Times"}}},
            "Times": {"type": "list", "member": {"shape": "Time"}}
          }
        }
        """).RootElement);

    [Fact]
    public void AppMeshOperations_GiveTheSameBytesAndMessages()
    {
        var tally = new Tally();
        foreach (var operation in ServiceModel.AppMesh.Operations.Where(o => o.InputShape is not null))
        {
            var input = ServiceModel.AppMesh.Shape(operation.InputShape!);
            for (var seed = 0; seed < BodiesPerOperation; seed++)
            {
                var body = new BodyWriter(ServiceModel.AppMesh, new Random(seed), hostile: seed % 2 == 1).Body(input);
                tally.Compare(ServiceModel.AppMesh, operation.Name, input.Name, body, () => AppMeshInput(operation, body));
            }
        }

        tally.AssertSame(minimumValid: 1000, minimumInvalid: 500);
    }

    [Fact]
    public void CloudMapOperations_GiveTheSameBytesAndMessages()
    {
        var tally = new Tally();
        foreach (var operation in ServiceModel.CloudMap.Operations.Where(o => o.InputShape is not null))
        {
            var input = ServiceModel.CloudMap.Shape(operation.InputShape!);
            for (var seed = 0; seed < BodiesPerOperation / 3; seed++)
            {
                var body = new BodyWriter(ServiceModel.CloudMap, new Random(seed), hostile: seed % 2 == 1).Body(input);

                // As CloudMapBinder reads it: the framework's parse, so the values are the document's elements.
                tally.Compare(ServiceModel.CloudMap, operation.Name, input.Name, body,
                    () => JsonNode.Parse(Encoding.UTF8.GetBytes(body), documentOptions: new JsonDocumentOptions { MaxDepth = 64 }));
            }
        }

        tally.AssertSame(minimumValid: 200, minimumInvalid: 200);
    }

    [Fact]
    public void EveryShapeType_AtEveryDepth_GivesTheSameBytesAndMessages()
    {
        var tally = new Tally();
        var root = EveryType.Shape("Root");
        for (var seed = 0; seed < 2000; seed++)
        {
            var body = new BodyWriter(EveryType, new Random(seed), hostile: seed % 3 == 2).Body(root);
            tally.Compare(EveryType, "Root", "Root", body, () => RequestJson.ReadObject(Encoding.UTF8.GetBytes(body)));
            tally.Compare(EveryType, "Root, parsed", "Root", body, () => JsonNode.Parse(Encoding.UTF8.GetBytes(body)));
        }

        tally.AssertSame(minimumValid: 500, minimumInvalid: 500);
    }

    public static TheoryData<string, string> WrittenBodies() => new()
    {
        { "numbers as written", """{"name":"a","count":-0,"big":-0,"at":-0,"times":[1.5e9,1E+2,0.1,-0,1700000000.125,123456789.123456789,5e-324]}""" },
        { "integers not in their own text", """{"name":"a","count":1.0,"big":1e2}""" },
        { "an integer past long", """{"name":"a","big":99999999999999999999}""" },
        { "a timestamp past double", """{"name":"a","at":1e400}""" },
        { "unknown and null members at every depth", """{"x":1,"name":"a","y":null,"items":[{"z":{"w":[null]},"name":"b","count":null,"items":[{"q":1,"name":"c","at":null}]}],"attributes":{"k":{"name":"v","u":[1]}},"choice":{"first":{"name":"d","e":null},"second":null},"tail":{}}""" },
        { "members out of order", """{"times":[1],"choice":{"second":3},"items":[{"items":[],"count":2,"name":"b"}],"flag":true,"name":"a"}""" },
        { "unknown before known", """{"unknown":{"name":"x"},"name":"a","count":1,"other":[null]}""" },
        { "nulls in lists and maps", """{"name":"a","items":[null,{"name":"b"}],"times":[null],"attributes":{"k":null}}""" },
        { "escapes in names and strings", """{"n\u0061me":"\u00e9<&>\"\\\/\b\f\n\r\t\u2028\ud83d\ude00","attributes":{"\u006b":{"name":"\u0041"}}}""" },
        { "a map key breaking its rule", """{"name":"a","attributes":{"":{"name":"b"},"ok":{"name":"c"}}}""" },
        { "a union setting two, and wrong types", """{"name":5,"count":"1","flag":"true","at":"2020","items":{},"attributes":[],"choice":{"first":{},"second":1}}""" },
        { "a union setting none", """{"name":"a","choice":{"fourth":1}}""" },
        { "only unknown members", """{"a":1,"b":[1,2],"c":{"d":null}}""" },
        { "an empty name", """{"name":""}""" },
    };

    [Theory]
    [MemberData(nameof(WrittenBodies))]
    public void WrittenBodies_GiveTheSameBytesAndMessages(string what, string body)
    {
        var tally = new Tally();
        tally.Compare(EveryType, what, "Root", body, () => RequestJson.ReadObject(Encoding.UTF8.GetBytes(body)));
        tally.Compare(EveryType, what + ", parsed", "Root", body, () => JsonNode.Parse(Encoding.UTF8.GetBytes(body)));
        tally.AssertSame(minimumValid: 0, minimumInvalid: 0);
        Assert.Equal(2, tally.Compared);
    }

    public static TheoryData<string, string> AppMeshWrittenBodies() => new()
    {
        { "CreateVirtualNode", """{"virtualNodeName":"web","spec":{"serviceDiscovery":{"dns":{"hostname":"web.local"}},"listeners":[{"healthCheck":{"unhealthyThreshold":3,"protocol":"http","path":"/health","healthyThreshold":2,"timeoutMillis":2000,"intervalMillis":5000},"portMapping":{"port":8080,"protocol":"http"}}],"madeUp":{"x":[null]}},"clientToken":"t","tags":[{"key":"k","value":"v","extra":null}],"meshOwner":null}""" },
        { "CreateVirtualNode", """{"virtualNodeName":"web","spec":{"listeners":[{"portMapping":{"port":8080.0,"protocol":"http"}}]}}""" },
        { "CreateVirtualNode", """{"virtualNodeName":"web","spec":{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"timeout":{"http":{"idle":{"unit":"s","value":-0}}}}],"backends":[null]}}""" },
        { "CreateRoute", """{"routeName":"r","virtualRouterName":"vr","spec":{"priority":-0,"httpRoute":{"retryPolicy":{"maxRetries":2,"perRetryTimeout":{"value":1000,"unit":"ms"},"httpRetryEvents":["server-error","gateway-error"]},"action":{"weightedTargets":[{"weight":100,"virtualNode":"n\u00e9"}]},"match":{"prefix":"/"}}}}""" },
        { "UpdateVirtualService", """{"spec":{"provider":{"virtualRouter":{"virtualRouterName":"vr"},"virtualNode":null}},"clientToken":"\u0074oken"}""" },
        { "UpdateRoute", """{"spec":{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"n","weight":1e2}]}}}}""" },
        { "CreateMesh", """{"meshName":"m","spec":{"egressFilter":{"type":"ALLOW_ALL"},"serviceDiscovery":{"ipPreference":"IPv4_ONLY"}}}""" },
        { "TagResource", """{"tags":[{"value":"v","key":"k"},null]}""" },
    };

    [Theory]
    [MemberData(nameof(AppMeshWrittenBodies))]
    public void AppMeshWrittenBodies_GiveTheSameBytesAndMessages(string operationName, string body)
    {
        var operation = ServiceModel.AppMesh.OperationsByName[operationName];
        var tally = new Tally();
        tally.Compare(ServiceModel.AppMesh, operationName, operation.InputShape!, body, () => AppMeshInput(operation, body));
        tally.AssertSame(minimumValid: 0, minimumInvalid: 0);
        Assert.Equal(1, tally.Compared);
    }

    [Fact]
    public void Validate_CleansTheTreeItWasGiven()
    {
        var spec = RequestJson.ReadObject("""{"madeUp":1,"listeners":[{"portMapping":{"protocol":"http","port":8080}}],"backends":null}"""u8);
        var listener = spec["listeners"]![0]!;

        var result = new ShapeValidator(ServiceModel.AppMesh).Validate("VirtualNodeSpec", spec, "spec");

        Assert.True(result.IsValid);
        Assert.Same(spec, result.Value);
        Assert.Same(listener, result.Value!["listeners"]![0]);
        Assert.Equal("""{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}""", spec.ToJsonString());
    }

    /// <summary>The input as <see cref="RequestBinder"/> assembles it: URI labels, then the body's members moved out of the body read in one pass.</summary>
    private static JsonObject AppMeshInput(Operation operation, string body)
    {
        var shape = ServiceModel.AppMesh.Shape(operation.InputShape!);
        var input = new JsonObject();
        JsonObject? read = null;
        foreach (var member in shape.Members)
        {
            if (member.Location == MemberLocation.Uri)
            {
                input[member.Name] = "label-" + member.Name;
            }
            else if (member.Location == MemberLocation.Body)
            {
                read ??= RequestJson.ReadObject(Encoding.UTF8.GetBytes(body));
                if (read.TryGetPropertyValue(member.Name, out var value) && value is not null)
                {
                    read.Remove(member.Name);
                    input[member.Name] = value;
                }
            }
        }

        return input;
    }

    /// <summary>Runs both validators on their own tree of each body and keeps what differs.</summary>
    private sealed class Tally
    {
        private readonly List<string> differences = [];
        private int valid;
        private int invalid;

        public int Compared { get; private set; }

        public void Compare(ServiceModel model, string what, string shape, string body, Func<JsonNode?> read)
        {
            JsonNode? copied;
            JsonNode? inPlace;
            try
            {
                copied = read();
                inPlace = read();
            }
            catch (Exception error) when (error is AppMeshException or JsonException)
            {
                return; // refused by the reader (a member named twice, an unpaired surrogate): never validated
            }

            var before = Outcome(() => new CopyingShapeValidator(model).Validate(shape, copied), what);
            var after = Outcome(() => new ShapeValidator(model).Validate(shape, inPlace), what);
            Compared++;
            if (before.StartsWith("valid", StringComparison.Ordinal))
            {
                valid++;
            }
            else
            {
                invalid++;
            }

            if (before != after)
            {
                differences.Add($"{what}: {body}\n  copied:   {before}\n  in place: {after}");
            }
        }

        public void AssertSame(int minimumValid, int minimumInvalid)
        {
            Assert.True(differences.Count == 0, $"{differences.Count} of {Compared} differ:\n" + string.Join("\n", differences.Take(5)));
            Assert.True(valid >= minimumValid, $"only {valid} valid bodies compared");
            Assert.True(invalid >= minimumInvalid, $"only {invalid} invalid bodies compared");
        }

        private static string Outcome(Func<ValidationResult> validate, string operation)
        {
            ValidationResult result;
            try
            {
                result = validate();
            }
            catch (Exception error)
            {
                return $"throws {error.GetType().Name}: {error.Message}";
            }

            if (!result.IsValid)
            {
                return "invalid: " + string.Join(" | ", result.Violations);
            }

            try
            {
                var text = new StringBuilder("valid: ").Append(Written(result.Value));
                if (result.Value is JsonObject input)
                {
                    // What a write stores and hashes: the spec as ResourceOperations.Utf8Of writes it, the clientToken's hash.
                    text.Append(" spec ").Append(input.TryGetPropertyValue("spec", out var spec) && spec is not null ? Written(spec) : "-");
                    text.Append(" request ").Append(CanonicalJson.HashRequest(operation, input, "clientToken"));
                }

                if (result.Value is not null)
                {
                    text.Append(" hash ").Append(CanonicalJson.Hash(result.Value));
                }

                return text.ToString();
            }
            catch (Exception error)
            {
                // A timestamp past double's range is kept as infinity, which no writer writes: the same for both.
                return $"valid, written throws {error.GetType().Name}: {error.Message}";
            }
        }

        private static string Written(JsonNode? node)
        {
            if (node is null)
            {
                return "null";
            }

            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                node.WriteTo(writer);
            }

            return Convert.ToHexString(buffer.WrittenSpan) + " " + Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    /// <summary>A body's text for a shape, with a value for members drawn at random; hostile bodies break the model's rules and the JSON's usual forms.</summary>
    private sealed class BodyWriter(ServiceModel model, Random random, bool hostile)
    {
        private static readonly string[] UnknownNames = ["madeUp", "Spec", "spec ", "x\u00e9", "__proto__", "extra"];
        private static readonly string[] TimestampTexts =
            ["1700000000", "1.7e9", "1700000000.125", "-0", "0.1", "1E+2", "123456789.123456789", "0", "5e-324", "1.5E9"];

        private static readonly string[] Specials = ["\u00e9", "<", "&", ">", "\"", "\\", "/", "\u2028", "\ud83d\ude00", " ", "'", "+", "\t", "\u007f"];
        private readonly StringBuilder text = new();

        public string Body(Shape input)
        {
            Structure(input, depth: 0, bodyOnly: true);
            return text.ToString();
        }

        private bool Chance(double p) => random.NextDouble() < p;

        private void Value(Shape shape, int depth)
        {
            if (hostile && Chance(0.03))
            {
                WrongType(shape);
                return;
            }

            switch (shape.Type)
            {
                case ShapeType.Structure:
                    Structure(shape, depth, bodyOnly: false);
                    break;
                case ShapeType.List:
                    List(shape, depth);
                    break;
                case ShapeType.Map:
                    Map(shape, depth);
                    break;
                case ShapeType.String:
                    String(Text(shape));
                    break;
                case ShapeType.Integer:
                case ShapeType.Long:
                    Integer(shape);
                    break;
                case ShapeType.Boolean:
                    text.Append(Chance(0.5) ? "true" : "false");
                    break;
                case ShapeType.Timestamp:
                    text.Append(TimestampTexts[random.Next(TimestampTexts.Length)]);
                    break;
            }
        }

        private void Structure(Shape shape, int depth, bool bodyOnly)
        {
            var members = shape.Members.Where(m => !bodyOnly || m.Location == MemberLocation.Body).ToList();
            var chosen = new List<Member>();
            if (shape.IsUnion && members.Count > 0)
            {
                var count = hostile && Chance(0.2) ? random.Next(0, 3) : 1;
                chosen.AddRange(members.OrderBy(_ => random.Next()).Take(count));
                chosen.Sort((a, b) => members.IndexOf(a).CompareTo(members.IndexOf(b)));
            }
            else
            {
                chosen.AddRange(members.Where(m =>
                    (shape.Required.Contains(m.Name) && !(hostile && Chance(0.05))) || (depth < 6 && Chance(0.6))));
            }

            var entries = chosen.Select(m => (Name: m.Name, Write: (Action)(() =>
            {
                if (Chance(0.1))
                {
                    text.Append("null");
                }
                else
                {
                    Value(model.Shape(m.ShapeName), depth + 1);
                }
            }))).ToList();

            if (Chance(0.25))
            {
                entries = entries.OrderBy(_ => random.Next()).ToList();
            }

            if (Chance(hostile ? 0.4 : 0.15))
            {
                var unknown = UnknownNames[random.Next(UnknownNames.Length)];
                if (!members.Any(m => m.Name == unknown))
                {
                    entries.Insert(random.Next(entries.Count + 1), (unknown, () => AnyValue(depth)));
                }
            }

            text.Append('{');
            for (var i = 0; i < entries.Count; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                String(entries[i].Name);
                text.Append(':');
                entries[i].Write();
            }

            text.Append('}');
        }

        private void List(Shape shape, int depth)
        {
            var count = depth > 6 ? 0 : random.Next(0, 4);
            if (!hostile)
            {
                count = (int)Math.Clamp(count, shape.Min ?? 0, shape.Max ?? long.MaxValue);
            }

            var element = model.Shape(shape.ElementShape!);
            text.Append('[');
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                if (hostile && Chance(0.1))
                {
                    text.Append("null");
                }
                else
                {
                    Value(element, depth + 1);
                }
            }

            text.Append(']');
        }

        private void Map(Shape shape, int depth)
        {
            var count = depth > 6 ? 0 : random.Next(0, 3);
            var keyShape = model.Shape(shape.KeyShape!);
            var valueShape = model.Shape(shape.ValueShape!);
            var keys = new HashSet<string>();
            text.Append('{');
            for (var i = 0; i < count; i++)
            {
                var key = Text(keyShape);
                if (!keys.Add(key))
                {
                    continue;
                }

                if (keys.Count > 1)
                {
                    text.Append(',');
                }

                String(key);
                text.Append(':');
                if (hostile && Chance(0.1))
                {
                    text.Append("null");
                }
                else
                {
                    Value(valueShape, depth + 1);
                }
            }

            text.Append('}');
        }

        private string Text(Shape shape)
        {
            if (shape.Enum is { } values)
            {
                return hostile && Chance(0.05) ? "bogus" : values[random.Next(values.Count)];
            }

            var lowest = (int)Math.Max(shape.Min ?? 1, 1);
            var highest = (int)Math.Min(shape.Max ?? 24, 24);
            var length = hostile && Chance(0.05) ? 0 : random.Next(lowest, Math.Max(lowest, highest) + 1);
            var result = new StringBuilder();
            while (result.Length < length)
            {
                result.Append(Chance(0.15)
                    ? Specials[random.Next(Specials.Length)]
                    : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/:"[random.Next(67)].ToString());
            }

            return result.ToString();
        }

        private void Integer(Shape shape)
        {
            var lowest = shape.Min ?? 0;
            var highest = Math.Min(shape.Max ?? 100_000, lowest + 100_000);
            if (hostile && Chance(0.15))
            {
                var forms = new[] { "1.0", "1e2", "-0.0", "99999999999999999999", "-1", "2147483648", "0.5", "1E0" };
                text.Append(forms[random.Next(forms.Length)]);
                return;
            }

            var number = lowest <= 0 && highest >= 0 && Chance(0.3) ? 0 : random.NextInt64(lowest, highest + 1);
            text.Append(number == 0 && Chance(0.5) ? "-0" : number.ToString(CultureInfo.InvariantCulture));
        }

        private void WrongType(Shape shape)
        {
            text.Append(shape.Type switch
            {
                ShapeType.String => random.Next(3) switch { 0 => "5", 1 => "{}", _ => "true" },
                ShapeType.Structure or ShapeType.Map => "[]",
                ShapeType.List => "{}",
                _ => "\"1\"",
            });
        }

        private void AnyValue(int depth)
        {
            switch (depth > 4 ? random.Next(3) : random.Next(6))
            {
                case 0:
                    text.Append("null");
                    break;
                case 1:
                    text.Append("-0");
                    break;
                case 2:
                    String("x\u00e9");
                    break;
                case 3:
                    text.Append('[');
                    AnyValue(depth + 1);
                    text.Append(",null]");
                    break;
                case 4:
                    text.Append("{\"a\":");
                    AnyValue(depth + 1);
                    text.Append('}');
                    break;
                default:
                    text.Append("1.5e3");
                    break;
            }
        }

        /// <summary>A JSON string, each character escaped now and then as \uXXXX (names too, so an escaped name can be a known member's).</summary>
        private void String(string value)
        {
            text.Append('"');
            foreach (var c in value)
            {
                if (c is '"' or '\\' || char.IsControl(c) || Chance(0.05))
                {
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append(c);
                }
            }

            text.Append('"');
        }
    }
}
