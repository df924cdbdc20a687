using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Mesh.Model.Wire;

/// <summary>
/// Checks a JSON value against a model shape: types, required members, string length and pattern,
/// numeric range, enums, list sizes and unions. It walks the whole value and reports every violation
/// with its JSON path, and removes unknown and null members from the value itself, so that nothing the
/// model does not name is ever stored.
/// </summary>
/// <remarks>
/// The value is cleaned in place rather than copied: a request's tree is its own (the binder builds it for this
/// call), and a copy of every object, string and number was made on every write only to be written out once. What
/// comes out is what the copy was, member for member: a structure's members in the model's order (moved only when
/// they arrive in another), integers whose text is not the number's own ("-0") and timestamps written from their
/// double, as the copy wrote them. When there are violations the value is left partly cleaned and must not be used.
/// </remarks>
public sealed class ShapeValidator
{
    private readonly ServiceModel model;

    /// <summary>
    /// Each structure's, list's and map's shapes of its members, element, key and value, looked up once: the walk
    /// visits every member of every request, and finding a member's shape by its name hashed the name each time.
    /// </summary>
    private readonly Dictionary<Shape, Links> links = new(ReferenceEqualityComparer.Instance);

    public ShapeValidator(ServiceModel model)
    {
        this.model = model;
        foreach (var shape in model.Shapes.Values)
        {
            if (shape.Type is ShapeType.Structure or ShapeType.List or ShapeType.Map)
            {
                links[shape] = new Links(
                    shape.Members.Select(m => model.Shape(m.ShapeName)).ToArray(),
                    shape.ElementShape is { } element ? model.Shape(element) : null,
                    shape.KeyShape is { } key ? model.Shape(key) : null,
                    shape.ValueShape is { } value ? model.Shape(value) : null);
            }
        }
    }

    public ValidationResult Validate(string shapeName, JsonNode? value, string path = "")
    {
        var violations = new List<Violation>();
        var walk = JsonPath.Rent(path);
        var kept = Visit(model.Shape(shapeName), value, walk, violations);
        JsonPath.Return(walk);
        return new ValidationResult(kept, violations);
    }

    /// <summary>
    /// The value to keep where <paramref name="value"/> was: the same node (cleaned in place), a new leaf for a value
    /// written differently from its text, or null to leave it out (with a violation, unless it was null).
    /// </summary>
    private JsonNode? Visit(Shape shape, JsonNode? value, JsonPath path, List<Violation> violations)
    {
        if (value is null)
        {
            return null;
        }

        return shape.Type switch
        {
            ShapeType.Structure => VisitStructure(shape, value, path, violations),
            ShapeType.List => VisitList(shape, value, path, violations),
            ShapeType.String => VisitString(shape, value, path, violations),
            ShapeType.Integer => VisitInteger(shape, value, path, violations, int.MinValue, int.MaxValue),
            ShapeType.Long => VisitInteger(shape, value, path, violations, long.MinValue, long.MaxValue),
            ShapeType.Boolean => VisitBoolean(value, path, violations),
            ShapeType.Timestamp => VisitTimestamp(value, path, violations),
            ShapeType.Map => VisitMap(shape, value, path, violations),
            _ => throw new NotSupportedException(shape.Type.ToString()),
        };
    }

    private JsonNode? VisitStructure(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonObject obj)
        {
            violations.Add(new Violation(path.Display(), $"must be a JSON object, got {Describe(value)}"));
            return null;
        }

        // The kept members are moved to the front in the model's order (the order the copy had); whatever is left
        // behind them (unknown members, nulls, values that broke a rule) is removed at the end.
        var placed = 0;
        List<string>? setMembers = null; // only a union reads it
        var members = shape.Members;
        var memberShapes = links[shape].Members;
        for (var m = 0; m < members.Count; m++)
        {
            var member = members[m];
            if (!obj.TryGetPropertyValue(member.Name, out var memberValue) || memberValue is null)
            {
                if (shape.Required.Contains(member.Name))
                {
                    violations.Add(new Violation(path.Text(member.Name), "is required"));
                }

                continue;
            }

            if (shape.IsUnion)
            {
                (setMembers ??= []).Add(member.Name);
            }

            path.Push(member.Name);
            var kept = Visit(memberShapes[m], memberValue, path, violations);
            path.Pop();
            if (kept is not null)
            {
                Place(obj, placed++, member.Name, memberValue, kept);
            }
        }

        for (var i = obj.Count - 1; i >= placed; i--)
        {
            obj.RemoveAt(i);
        }

        if (shape.IsUnion && setMembers?.Count != 1)
        {
            var names = string.Join(", ", shape.Members.Select(m => m.Name));
            violations.Add(new Violation(
                path.Display(),
                setMembers is null
                    ? $"must set exactly one of {names}, but sets none"
                    : $"must set exactly one of {names}, but sets {string.Join(" and ", setMembers)}"));
        }

        return obj;
    }

    /// <summary>
    /// Puts member <paramref name="name"/> at <paramref name="position"/> with the value <paramref name="kept"/>. Every
    /// member before the position is one placed already, so the member is at the position or after it; it is moved only
    /// when a member the model names earlier arrived after it, or something unknown or null came before it.
    /// </summary>
    private static void Place(JsonObject obj, int position, string name, JsonNode found, JsonNode kept)
    {
        var index = obj.IndexOf(name);
        if (index == position)
        {
            if (!ReferenceEquals(kept, found))
            {
                obj.SetAt(index, kept);
            }

            return;
        }

        obj.RemoveAt(index);
        obj.Insert(position, name, kept);
    }

    private JsonNode? VisitList(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonArray array)
        {
            violations.Add(new Violation(path.Display(), $"must be a JSON array, got {Describe(value)}"));
            return null;
        }

        CheckRange(shape, array.Count, path, violations, "must have at least {0} item(s)", "must have at most {0} item(s)");
        var element = links[shape].Element!;
        for (var i = 0; i < array.Count; i++)
        {
            path.Push(i);
            var item = array[i];
            if (item is null)
            {
                // A violation: the list is not used, so the item is left where it is.
                violations.Add(new Violation(path.Text(), "must not be null"));
                path.Pop();
                continue;
            }

            var kept = Visit(element, item, path, violations);
            path.Pop();
            if (kept is not null && !ReferenceEquals(kept, item))
            {
                array[i] = kept;
            }
        }

        return array;
    }

    private JsonNode? VisitMap(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonObject obj)
        {
            violations.Add(new Violation(path.Display(), $"must be a JSON object of string keys to values, got {Describe(value)}"));
            return null;
        }

        CheckRange(shape, obj.Count, path, violations, "must have at least {0} entry(ies)", "must have at most {0} entry(ies)");
        var (_, _, keyShape, valueShape) = links[shape];

        // By index, not enumerated: a value written differently is replaced as the walk goes. An entry that breaks a
        // rule is a violation, so the map is not used and the entry is left where it is.
        for (var i = 0; i < obj.Count; i++)
        {
            var (key, item) = obj.GetAt(i);
            path.PushKey(key);
            CheckText(keyShape!, key, path, violations, "key ");
            if (item is null)
            {
                violations.Add(new Violation(path.Text(), "must not be null"));
                path.Pop();
                continue;
            }

            var kept = Visit(valueShape!, item, path, violations);
            path.Pop();
            if (kept is not null && !ReferenceEquals(kept, item))
            {
                obj.SetAt(i, kept);
            }
        }

        return obj;
    }

    private static JsonNode? VisitString(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            violations.Add(new Violation(path.Display(), $"must be a string, got {Describe(value)}"));
            return null;
        }

        return CheckText(shape, v.GetValue<string>(), path, violations, prefix: "") ? value : null;
    }

    /// <summary>
    /// Whether <see cref="Validate"/> would keep <paramref name="text"/> as a value of the string shape
    /// <paramref name="shape"/> without a violation, checked without a path or a list: for a binder that takes a call's
    /// labels as they are when nothing in them is refused, and leaves every other call (and every message) to
    /// <see cref="Validate"/>. The same rules as <see cref="CheckText"/>, in its order.
    /// </summary>
    public static bool KeepsText(Shape shape, string text) =>
        shape.Type == ShapeType.String
        && !text.Contains('\0')
        && InRange(shape, CountCharacters(text))
        && (shape.Enum is not { } allowed || allowed.Contains(text, StringComparer.Ordinal))
        && (shape.Pattern is not { } pattern || MatchesPattern(pattern, text));

    /// <summary>Whether <paramref name="actual"/> is within the shape's min and max: what <see cref="CheckRange"/> finds no violation in.</summary>
    private static bool InRange(Shape shape, long actual) =>
        (shape.Min is not { } min || actual >= min) && (shape.Max is not { } max || actual <= max);

    /// <summary>Whether <paramref name="text"/> keeps the string shape's rules; each broken one is a violation whose message starts with <paramref name="prefix"/>.</summary>
    private static bool CheckText(Shape shape, string text, JsonPath path, List<Violation> violations, string prefix)
    {
        var before = violations.Count;
        if (text.Contains('\0'))
        {
            violations.Add(new Violation(path.Display(), prefix + "must not contain NUL characters"));
        }

        // The model counts characters, not UTF-16 code units.
        var length = CountCharacters(text);
        CheckRange(shape, length, path, violations, prefix + "must be at least {0} character(s) long", prefix + "must be at most {0} character(s) long");

        if (shape.Enum is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
        {
            violations.Add(new Violation(path.Display(), $"{prefix}must be one of [{string.Join(", ", allowed)}], got \"{Truncate(text)}\""));
        }

        if (shape.Pattern is { } pattern && !MatchesPattern(pattern, text))
        {
            violations.Add(new Violation(path.Display(), $"{prefix}must match the pattern {shape.PatternText}"));
        }

        return violations.Count == before;
    }

    private static JsonNode? VisitInteger(Shape shape, JsonNode value, JsonPath path, List<Violation> violations, long lowest, long highest)
    {
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            violations.Add(new Violation(path.Display(), $"must be an integer, got {Describe(value)}"));
            return null;
        }

        // Values parsed from a body are JSON elements; values bound from a query string are CLR longs.
        if (!v.TryGetValue<long>(out var number) || number < lowest || number > highest)
        {
            violations.Add(new Violation(path.Display(), $"must be an integer between {lowest} and {highest}, got {Truncate(v.ToJsonString())}"));
            return null;
        }

        var before = violations.Count;
        CheckRange(shape, number, path, violations, "must be at least {0}", "must be at most {0}", number);
        if (violations.Count != before)
        {
            return null;
        }

        // Kept when its text is the number's own; "-0" is written as 0, as a number made from the long would be.
        return IsWrittenAs(v, number) ? value : JsonValue.Create(number);
    }

    /// <summary>Whether <paramref name="value"/> is a JSON element whose text is exactly <paramref name="number"/> written out.</summary>
    private static bool IsWrittenAs(JsonValue value, long number)
    {
        if (!value.TryGetValue<JsonElement>(out var element))
        {
            return false;
        }

        Span<byte> text = stackalloc byte[20];
        return Utf8Formatter.TryFormat(number, text, out var written)
            && JsonMarshal.GetRawUtf8Value(element).SequenceEqual(text[..written]);
    }

    private static JsonNode? VisitBoolean(JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            // Written as true or false whatever holds it.
            return value;
        }

        violations.Add(new Violation(path.Display(), $"must be a boolean, got {Describe(value)}"));
        return null;
    }

    private static JsonNode? VisitTimestamp(JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            // Written from the double, not the text it came as ("1.5e9" is stored as 1500000000).
            return JsonValue.Create(v.GetValue<double>());
        }

        violations.Add(new Violation(path.Display(), $"must be a timestamp in epoch seconds, got {Describe(value)}"));
        return null;
    }

    private static void CheckRange(Shape shape, long actual, JsonPath path, List<Violation> violations, string tooSmall, string tooLarge, long? shown = null)
    {
        // The suffix is written only for a violation: this runs for every string, list and number of every request.
        string Suffix() => shown is { } s ? $", got {s}" : $", got {actual}";
        if (shape.Min is { } min && actual < min)
        {
            violations.Add(new Violation(path.Display(), string.Format(CultureInfo.InvariantCulture, tooSmall, min) + Suffix()));
        }

        if (shape.Max is { } max && actual > max)
        {
            violations.Add(new Violation(path.Display(), string.Format(CultureInfo.InvariantCulture, tooLarge, max) + Suffix()));
        }
    }

    private static bool MatchesPattern(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A hostile string that makes the pattern backtrack is treated as not matching it.
            return false;
        }
    }

    /// <summary>The text's length as the model counts it: in characters (Unicode scalar values), not UTF-16 units.</summary>
    public static int CountCharacters(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static string Describe(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Truncate(string text)
    {
        var builder = new StringBuilder();
        foreach (var rune in text.EnumerateRunes().Take(64))
        {
            builder.Append(Rune.IsControl(rune) ? "?" : rune.ToString());
        }

        return builder.ToString();
    }

    private static string Join(string path, string member) => path.Length == 0 ? member : $"{path}.{member}";

    /// <summary>
    /// Where the walk is, as a stack of members, list indexes and map keys, written out as text ("spec.listeners[0]",
    /// a map entry as [\"key\"]) only when a violation names it: the walk visits every member of every shape, and the
    /// text of each path was built on every call, for requests that are almost always valid.
    /// </summary>
    /// <summary>The shapes a structure's members (in the model's order), a list's elements and a map's keys and values have.</summary>
    private sealed record Links(Shape[] Members, Shape? Element, Shape? Key, Shape? Value);

    private sealed class JsonPath
    {
        /// <summary>
        /// A path kept per thread between validations: its stack grew 4, 8, 16 steps deep for every request (an
        /// array each time, about 0.7 KB of a create's allocations; issue14ae). A validation takes it out while it
        /// walks, so a validation inside another (or one that threw and never gave it back) makes its own.
        /// </summary>
        [ThreadStatic]
        private static JsonPath? idle;

        private readonly List<(string? Member, int Index, string? Key)> steps = [];
        private string root = "";

        public static JsonPath Rent(string root)
        {
            var path = idle ?? new JsonPath();
            idle = null;
            path.root = root;
            path.steps.Clear();
            return path;
        }

        public static void Return(JsonPath path) => idle = path;

        public void Push(string member) => steps.Add((member, 0, null));

        public void Push(int index) => steps.Add((null, index, null));

        public void PushKey(string key) => steps.Add((null, 0, key));

        public void Pop() => steps.RemoveAt(steps.Count - 1);

        /// <summary>The path as violations name it, with <paramref name="member"/> after it if given.</summary>
        public string Text(string? member = null)
        {
            var text = root;
            foreach (var (name, index, key) in steps)
            {
                text = name is not null ? Join(text, name)
                    : key is not null ? $"{text}[\"{Truncate(key)}\"]"
                    : $"{text}[{index}]";
            }

            return member is null ? text : Join(text, member);
        }

        /// <summary>The path, or "(request body)" for the whole request.</summary>
        public string Display() => Text() is { Length: > 0 } text ? text : "(request body)";
    }
}
