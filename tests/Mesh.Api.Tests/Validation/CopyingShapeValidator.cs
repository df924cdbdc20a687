using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

using Mesh.Model.Wire;

namespace Mesh.Api.Tests.Validation;

/// <summary>
/// The validator as it was up to issue 14ab, kept here unchanged but for its name: it builds a new tree of the value
/// without unknown and null members. <see cref="InPlaceValidationTests"/> holds the in-place validator to its output.
/// </summary>
internal sealed class CopyingShapeValidator(ServiceModel model)
{
    public ValidationResult Validate(string shapeName, JsonNode? value, string path = "")
    {
        var violations = new List<Violation>();
        var cleaned = Visit(model.Shape(shapeName), value, new JsonPath(path), violations);
        return new ValidationResult(cleaned, violations);
    }

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

        var cleaned = new JsonObject();
        List<string>? setMembers = null; // only a union reads it
        foreach (var member in shape.Members)
        {
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
            var cleanedMember = Visit(model.Shape(member.ShapeName), memberValue, path, violations);
            path.Pop();
            if (cleanedMember is not null)
            {
                cleaned[member.Name] = cleanedMember;
            }
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

        return cleaned;
    }

    private JsonNode? VisitList(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonArray array)
        {
            violations.Add(new Violation(path.Display(), $"must be a JSON array, got {Describe(value)}"));
            return null;
        }

        CheckRange(shape, array.Count, path, violations, "must have at least {0} item(s)", "must have at most {0} item(s)");
        var element = model.Shape(shape.ElementShape!);
        var cleaned = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            path.Push(i);
            if (array[i] is null)
            {
                violations.Add(new Violation(path.Text(), "must not be null"));
                path.Pop();
                continue;
            }

            var cleanedItem = Visit(element, array[i], path, violations);
            path.Pop();
            if (cleanedItem is not null)
            {
                cleaned.Add(cleanedItem);
            }
        }

        return cleaned;
    }

    private JsonNode? VisitMap(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonObject obj)
        {
            violations.Add(new Violation(path.Display(), $"must be a JSON object of string keys to values, got {Describe(value)}"));
            return null;
        }

        CheckRange(shape, obj.Count, path, violations, "must have at least {0} entry(ies)", "must have at most {0} entry(ies)");
        var keyShape = model.Shape(shape.KeyShape!);
        var valueShape = model.Shape(shape.ValueShape!);
        var cleaned = new JsonObject();
        foreach (var (key, item) in obj)
        {
            path.PushKey(key);
            var keyViolations = new List<Violation>();
            VisitString(keyShape, JsonValue.Create(key), path, keyViolations);
            violations.AddRange(keyViolations.Select(v => v with { Message = "key " + v.Message }));
            if (item is null)
            {
                violations.Add(new Violation(path.Text(), "must not be null"));
                path.Pop();
                continue;
            }

            var cleanedItem = Visit(valueShape, item, path, violations);
            path.Pop();
            if (cleanedItem is not null && keyViolations.Count == 0)
            {
                cleaned[key] = cleanedItem;
            }
        }

        return cleaned;
    }

    private static JsonNode? VisitString(Shape shape, JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            violations.Add(new Violation(path.Display(), $"must be a string, got {Describe(value)}"));
            return null;
        }

        var text = v.GetValue<string>();
        var before = violations.Count;
        if (text.Contains('\0'))
        {
            violations.Add(new Violation(path.Display(), "must not contain NUL characters"));
        }

        // The model counts characters, not UTF-16 code units.
        var length = CountCharacters(text);
        CheckRange(shape, length, path, violations, "must be at least {0} character(s) long", "must be at most {0} character(s) long");

        if (shape.Enum is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
        {
            violations.Add(new Violation(path.Display(), $"must be one of [{string.Join(", ", allowed)}], got \"{Truncate(text)}\""));
        }

        if (shape.Pattern is { } pattern && !MatchesPattern(pattern, text))
        {
            violations.Add(new Violation(path.Display(), $"must match the pattern {shape.PatternText}"));
        }

        return violations.Count == before ? JsonValue.Create(text) : null;
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
        return violations.Count == before ? JsonValue.Create(number) : null;
    }

    private static JsonNode? VisitBoolean(JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return JsonValue.Create(v.GetValueKind() == JsonValueKind.True);
        }

        violations.Add(new Violation(path.Display(), $"must be a boolean, got {Describe(value)}"));
        return null;
    }

    private static JsonNode? VisitTimestamp(JsonNode value, JsonPath path, List<Violation> violations)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
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

    private static int CountCharacters(string text)
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
    private sealed class JsonPath(string root)
    {
        private readonly List<(string? Member, int Index, string? Key)> steps = [];

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
