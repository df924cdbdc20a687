using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Bootstrap;

/// <summary>
/// Renders a JSON tree as block-style YAML (which Envoy reads like the JSON it is). Strings that YAML would read as
/// something else (numbers, booleans, null, indicators, regexes) are quoted, so the YAML and the JSON mean the same.
/// </summary>
public static class YamlWriter
{
    public static string Write(JsonNode root, string? headerComment = null)
    {
        var text = new StringBuilder();
        if (headerComment is not null)
        {
            foreach (var line in headerComment.Split('\n'))
            {
                text.Append("# ").Append(line).Append('\n');
            }
        }

        if (root is JsonObject obj && obj.Count > 0)
        {
            WriteObject(text, obj, 0);
        }
        else if (root is JsonArray array && array.Count > 0)
        {
            WriteArray(text, array, 0);
        }
        else
        {
            text.Append(Inline(root)).Append('\n');
        }

        return text.ToString();
    }

    private static void WriteObject(StringBuilder text, JsonObject obj, int indent, bool firstInline = false)
    {
        var first = true;
        foreach (var (key, value) in obj)
        {
            if (!(first && firstInline))
            {
                text.Append(' ', indent);
            }

            first = false;
            text.Append(Scalar(key)).Append(':');
            WriteValue(text, value, indent);
        }
    }

    private static void WriteArray(StringBuilder text, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            text.Append(' ', indent).Append("- ");
            switch (item)
            {
                case JsonObject { Count: > 0 } obj:
                    WriteObject(text, obj, indent + 2, firstInline: true);
                    break;
                case JsonArray { Count: > 0 } inner:
                    text.Append('\n');
                    WriteArray(text, inner, indent + 2);
                    break;
                default:
                    text.Append(Inline(item)).Append('\n');
                    break;
            }
        }
    }

    /// <summary>After "key:": a nested block on the next lines, or a scalar on the same line.</summary>
    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } obj:
                text.Append('\n');
                WriteObject(text, obj, indent + 2);
                break;
            case JsonArray { Count: > 0 } array:
                text.Append('\n');
                WriteArray(text, array, indent + 2);
                break;
            default:
                text.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        _ => value.ToJsonString(),
    };

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    };

    /// <summary>A plain scalar when YAML would read it back as the same string; otherwise quoted.</summary>
    internal static string Scalar(string value)
    {
        if (IsPlainSafe(value))
        {
            return value;
        }

        if (value.All(c => !char.IsControl(c)))
        {
            return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        return JsonSerializer.Serialize(value); // a JSON string is a valid YAML double-quoted scalar
    }

    private static bool IsPlainSafe(string value)
    {
        if (Reserved.Contains(value) || value.EndsWith(':') || value.StartsWith('.') || value.StartsWith(':'))
        {
            return false;
        }

        if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ':' or '@' or '+'))
        {
            return false;
        }

        if (!char.IsAsciiLetterOrDigit(value[0]) && value[0] != '_' && value[0] != '/')
        {
            return false; // '-', '@', '+' start indicators or numbers
        }

        // Anything YAML 1.1 or 1.2 could read as a number (10, 1e3, 0x1f, 0o7, 1_000, 1:20).
        var numeric = value.Replace("_", "", StringComparison.Ordinal);
        if (double.TryParse(numeric, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("0o", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("0b", StringComparison.OrdinalIgnoreCase)
            || (char.IsAsciiDigit(value[0]) && value.All(c => char.IsAsciiDigit(c) || c is ':' or '.' or '_')))
        {
            return false;
        }

        return true;
    }
}
