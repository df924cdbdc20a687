using System.Globalization;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Reads samples out of Prometheus text as the exporter writes it: labels in any order, possibly with labels the test
/// does not name (the exporter adds the meter's scope) and a timestamp after the value.
/// </summary>
public static class PrometheusText
{
    /// <summary>The value of the one sample of <paramref name="name"/> carrying at least <paramref name="labels"/>; null when there is none.</summary>
    public static double? Value(string text, string name, params (string Name, string Value)[] labels)
    {
        var values = Samples(text)
            .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))
            .Select(s => s.Value)
            .ToList();
        Assert.True(values.Count <= 1, $"{values.Count} samples of {name} match; name more labels");
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>The type a <c># TYPE</c> line declares for <paramref name="name"/>, or null.</summary>
    public static string? TypeOf(string text, string name) =>
        text.Split('\n').Select(l => l.Split(' ')).FirstOrDefault(p => p.Length == 4 && p[0] == "#" && p[1] == "TYPE" && p[2] == name)?[3];

    private static IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Samples(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var close = brace < 0 ? -1 : line.LastIndexOf('}');
            var name = brace < 0 ? line[..line.IndexOf(' ', StringComparison.Ordinal)] : line[..brace];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (brace >= 0)
            {
                foreach (var pair in line[(brace + 1)..close].Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    labels[pair[..equals]] = pair[(equals + 1)..].Trim('"');
                }
            }

            var rest = line[((brace < 0 ? name.Length : close + 1))..].Trim().Split(' ');
            yield return (name, labels, double.Parse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
    }
}
