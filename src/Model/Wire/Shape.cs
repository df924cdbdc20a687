using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mesh.Model.Wire;

/// <summary>A shape of the service model with the constraints the model states for it.</summary>
public sealed record Shape
{
    public required string Name { get; init; }

    public required ShapeType Type { get; init; }

    /// <summary>Members of a structure, in model order.</summary>
    public IReadOnlyList<Member> Members { get; init; } = [];

    public IReadOnlySet<string> Required { get; init; } = new HashSet<string>();

    /// <summary>For a structure marked as a union: exactly one member must be set.</summary>
    public bool IsUnion { get; init; }

    /// <summary>For a list: the shape of its elements.</summary>
    public string? ElementShape { get; init; }

    /// <summary>For a map: the shapes of its keys and of its values.</summary>
    public string? KeyShape { get; init; }

    public string? ValueShape { get; init; }

    /// <summary>The minimum length (string, list) or value (number).</summary>
    public long? Min { get; init; }

    /// <summary>The maximum length (string, list) or value (number).</summary>
    public long? Max { get; init; }

    /// <summary>The model's pattern as written, for messages and schemas.</summary>
    public string? PatternText { get; init; }

    /// <summary>
    /// The pattern as AWS applies it: to the whole string (Java's <c>Matcher.matches()</c>). .NET's <c>$</c> also
    /// matches before a final newline, so <c>"name\n"</c> would pass a <c>^…$</c> pattern; hence <c>\A(?:…)\z</c>.
    /// </summary>
    public Regex? Pattern { get; init; }

    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>The member sent alone as the HTTP body of an output shape.</summary>
    public string? Payload { get; init; }

    /// <summary>The HTTP status of an exception shape.</summary>
    public int? ErrorStatusCode { get; init; }

    public bool IsException { get; init; }

    public Member? FindMember(string name) => Members.FirstOrDefault(m => m.Name == name);

    internal static Shape Parse(string name, JsonElement element)
    {
        var type = element.GetProperty("type").GetString() switch
        {
            "structure" => ShapeType.Structure,
            "list" => ShapeType.List,
            "string" => ShapeType.String,
            "integer" => ShapeType.Integer,
            "long" => ShapeType.Long,
            "boolean" => ShapeType.Boolean,
            "timestamp" => ShapeType.Timestamp,
            "map" => ShapeType.Map,
            var other => throw new NotSupportedException($"Shape {name} has unsupported type '{other}'."),
        };

        var members = new List<Member>();
        if (element.TryGetProperty("members", out var membersElement))
        {
            foreach (var m in membersElement.EnumerateObject())
            {
                var location = m.Value.TryGetProperty("location", out var loc)
                    ? loc.GetString() switch
                    {
                        "uri" => MemberLocation.Uri,
                        "querystring" => MemberLocation.QueryString,
                        var other => throw new NotSupportedException($"Member {name}.{m.Name} has unsupported location '{other}'."),
                    }
                    : MemberLocation.Body;
                members.Add(new Member(
                    m.Name,
                    m.Value.GetProperty("shape").GetString()!,
                    location,
                    m.Value.TryGetProperty("locationName", out var ln) ? ln.GetString()! : m.Name,
                    m.Value.TryGetProperty("idempotencyToken", out var token) && token.GetBoolean()));
            }
        }

        var patternText = element.TryGetProperty("pattern", out var pattern) ? pattern.GetString() : null;
        return new Shape
        {
            Name = name,
            Type = type,
            Members = members,
            Required = element.TryGetProperty("required", out var req)
                ? req.EnumerateArray().Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(),
            IsUnion = element.TryGetProperty("union", out var union) && union.GetBoolean(),
            ElementShape = element.TryGetProperty("member", out var member) ? member.GetProperty("shape").GetString() : null,
            KeyShape = element.TryGetProperty("key", out var key) ? key.GetProperty("shape").GetString() : null,
            ValueShape = element.TryGetProperty("value", out var mapValue) ? mapValue.GetProperty("shape").GetString() : null,
            Min = element.TryGetProperty("min", out var min) ? min.GetInt64() : null,
            Max = element.TryGetProperty("max", out var max) ? max.GetInt64() : null,
            PatternText = patternText,
            Pattern = patternText is null
                ? null
                : new Regex(@"\A(?:" + patternText + @")\z", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)),
            Enum = element.TryGetProperty("enum", out var values) ? values.EnumerateArray().Select(v => v.GetString()!).ToList() : null,
            Payload = element.TryGetProperty("payload", out var payload) ? payload.GetString() : null,
            ErrorStatusCode = element.TryGetProperty("error", out var error) && error.TryGetProperty("httpStatusCode", out var status)
                ? status.GetInt32()
                : null,
            IsException = element.TryGetProperty("exception", out var exception) && exception.GetBoolean(),
        };
    }
}
