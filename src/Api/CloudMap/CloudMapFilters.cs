using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// The Filters of ListNamespaces, ListServices and ListOperations: each names a field, a condition (EQ when not
/// given) and values, and an item must pass every filter. A condition a field does not support, or a wrong number
/// of values, is InvalidInput naming the filter.
/// </summary>
public static class CloudMapFilters
{
    /// <summary>
    /// How a list exposes one filterable field: the conditions it allows, the field's value, and, for a field of an
    /// enumeration, the values EQ and IN may name (any other is InvalidInput, not an empty list). An ARN among a
    /// filter's id values is read as the id it names before the list is built (<see cref="CloudMapIds.ResolveArns"/>).
    /// </summary>
    public sealed record Field<T>(IReadOnlyList<string> Conditions, Func<T, string> Value, IReadOnlyList<string>? Known = null);

    /// <summary>A field whose values are the Cloud Map model's enumeration <paramref name="enumShape"/>.</summary>
    public static Field<T> Enumerated<T>(IReadOnlyList<string> conditions, Func<T, string> value, string enumShape) =>
        new(conditions, value, Known: ServiceModel.CloudMap.Shape(enumShape).Enum);

    /// <summary>
    /// RESOURCE_OWNER: whose resources are listed, <c>SELF</c> or <c>OTHER_ACCOUNTS</c>. A list holds only the
    /// caller's own (Mesh shares no namespaces between accounts), so SELF keeps every item and OTHER_ACCOUNTS none.
    /// </summary>
    public static Field<T> ResourceOwner<T>() => new(["EQ"], static _ => "SELF", Known: ["SELF", "OTHER_ACCOUNTS"]);

    public static Func<T, bool> Build<T>(JsonArray? filters, IReadOnlyDictionary<string, Field<T>> fields)
    {
        var predicates = new List<Func<T, bool>>();
        var violations = new List<Violation>();
        for (var i = 0; i < (filters?.Count ?? 0); i++)
        {
            var filter = filters![i]!.AsObject();
            var path = $"Filters[{i}]";
            var name = filter["Name"]!.GetValue<string>();
            var condition = filter["Condition"]?.GetValue<string>() ?? "EQ";
            var values = filter["Values"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
            if (!fields.TryGetValue(name, out var field))
            {
                violations.Add(new Violation($"{path}.Name", $"{name} cannot filter this list; it takes {string.Join(", ", fields.Keys)}"));
                continue;
            }

            if (!field.Conditions.Contains(condition))
            {
                violations.Add(new Violation($"{path}.Condition", $"{name} takes {string.Join(" or ", field.Conditions)}, not {condition}"));
                continue;
            }

            var expected = condition switch { "EQ" or "BEGINS_WITH" => 1, "BETWEEN" => 2, _ => -1 };
            if ((expected > 0 && values.Count != expected) || values.Count == 0)
            {
                violations.Add(new Violation($"{path}.Values", $"{condition} takes {(expected > 0 ? expected.ToString(CultureInfo.InvariantCulture) : "at least one")} value(s), got {values.Count}"));
                continue;
            }

            if (condition is "EQ" or "IN" && field.Known is { } known && values.FirstOrDefault(v => !known.Contains(v, StringComparer.Ordinal)) is { } unknown)
            {
                violations.Add(new Violation($"{path}.Values", $"{name} is one of [{string.Join(", ", known)}], got \"{(unknown.Length > 64 ? unknown[..64] + "…" : unknown)}\""));
                continue;
            }

            switch (condition)
            {
                case "EQ" or "IN":
                    predicates.Add(item => values.Contains(field.Value(item), StringComparer.Ordinal));
                    break;
                case "BEGINS_WITH":
                    predicates.Add(item => field.Value(item).StartsWith(values[0], StringComparison.Ordinal));
                    break;
                case "BETWEEN":
                    if (!double.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var from) || !double.IsFinite(from)
                        || !double.TryParse(values[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var to) || !double.IsFinite(to))
                    {
                        violations.Add(new Violation($"{path}.Values", "BETWEEN takes two timestamps in epoch seconds"));
                        continue;
                    }

                    predicates.Add(item => double.Parse(field.Value(item), CultureInfo.InvariantCulture) is var at && at >= from && at <= to);
                    break;
            }
        }

        if (violations.Count > 0)
        {
            throw CloudMapErrors.Invalid(violations);
        }

        return item => predicates.All(p => p(item));
    }
}
