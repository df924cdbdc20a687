using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Mesh.Bootstrap;

/// <summary>
/// Renders a JSON tree as block-style YAML with YamlDotNet's emitter (Envoy reads the YAML like the JSON it is).
/// The emitter quotes what YAML's syntax needs quoted; on top of that, strings that YAML 1.1 or 1.2 would read as
/// something else (numbers, booleans, null, yes/no) are quoted too, so the YAML and the JSON mean the same.
/// </summary>
public static class YamlWriter
{
    private static readonly EmitterSettings Settings = EmitterSettings.Default
        .WithIndentedSequences()
        .WithBestWidth(int.MaxValue) // no folding: a regex or a path stays on one line
        .WithNewLine("\n");

    public static string Write(JsonNode root, string? headerComment = null)
    {
        var text = new StringWriter(new StringBuilder(), CultureInfo.InvariantCulture) { NewLine = "\n" };
        if (headerComment is not null)
        {
            foreach (var line in headerComment.Split('\n'))
            {
                text.Write("# " + line + "\n");
            }
        }

        var emitter = new Emitter(text, Settings);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, root);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    emitter.Emit(String(key));
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, SequenceStyle.Block));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                emitter.Emit(String(value.GetValue<string>()));
                break;
            default:
                // A number, true, false or null: its JSON text is the YAML plain scalar of the same value.
                var literal = node?.ToJsonString() ?? "null";
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, literal, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    /// <summary>A string scalar: plain when YAML reads it back as the same string, quoted (by the emitter) otherwise.</summary>
    private static Scalar String(string value) =>
        new(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Any, isPlainImplicit: !ReadsAsNonString(value), isQuotedImplicit: true);

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan",
    };

    /// <summary>Whether a plain scalar with this text is a null, boolean or number in YAML 1.1 or 1.2 (10, 1e3, 0x1f, 0o7, 1_000, 1:20).</summary>
    internal static bool ReadsAsNonString(string value)
    {
        if (Reserved.Contains(value))
        {
            return true;
        }

        var unsigned = value.TrimStart('-', '+');
        var numeric = value.Replace("_", "", StringComparison.Ordinal);
        return double.TryParse(numeric, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || unsigned.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            || unsigned.StartsWith("0o", StringComparison.OrdinalIgnoreCase)
            || unsigned.StartsWith("0b", StringComparison.OrdinalIgnoreCase)
            || (unsigned.Length > 0 && char.IsAsciiDigit(unsigned[0]) && unsigned.All(c => char.IsAsciiDigit(c) || c is ':' or '.' or '_'));
    }
}
