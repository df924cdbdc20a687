using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Mesh.XdsServer.Tests.Observability;

/// <summary>
/// What an Envoy's <c>/stats/prometheus</c> shows for a set of stat names, under a given bootstrap's <c>stats_tags</c>.
/// There is no Envoy binary here, so the dashboards' data-plane queries are checked against this instead: Envoy's tag
/// extraction applied to the names its listeners and clusters produce.
/// </summary>
/// <remarks>
/// Envoy's rules, as its stats documentation and tag extractors define them: every extractor's regex is searched in the
/// full stat name; its first group is cut from the name and its second group (or the first, when there is no second) is
/// the tag's value; <c>fixed_value</c> tags apply to every stat. The name left is prefixed with <c>envoy_</c>, and every
/// character Prometheus does not allow in a name or label becomes <c>_</c>. Only the default extractors the dashboards
/// rely on are listed (response code class, cluster name, connection manager and TCP prefix, listener address).
/// </remarks>
public sealed class EnvoyStatsExposition
{
    private const string Word = @"[^\.]+";

    private static readonly (string Tag, string Regex)[] DefaultExtractors =
    [
        ("envoy.response_code", @"_rq(_(\d{3}))$"),
        ("envoy.response_code_class", @"_rq_((\d))xx$"),
        ("envoy.tcp_prefix", $@"^tcp\.(({Word})\.)"),
        ("envoy.cluster_name", $@"^cluster\.(({Word})\.)"),
        ("envoy.http_conn_manager_prefix", $@"^http\.(({Word})\.)"),
        ("envoy.listener_address", @"^listener\.((\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}_\d+)\.)"),
    ];

    private static readonly double[] HistogramBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    private readonly List<(string Tag, Regex Regex)> _extractors = [];
    private readonly List<(string Tag, string Value)> _fixedTags = [];
    private readonly List<string> _counters = [];
    private readonly List<string> _gauges = [];
    private readonly List<string> _histograms = [];
    private long _scrapes;

    /// <param name="bootstrap">An Envoy bootstrap in JSON, as Mesh writes it; its <c>stats_config.stats_tags</c> are applied.</param>
    public EnvoyStatsExposition(JsonNode bootstrap)
    {
        foreach (var tag in bootstrap["stats_config"]?["stats_tags"]?.AsArray() ?? [])
        {
            var name = tag!["tag_name"]!.GetValue<string>();
            if (tag["fixed_value"] is { } value)
            {
                _fixedTags.Add((name, value.GetValue<string>()));
            }
            else
            {
                _extractors.Add((name, new Regex(tag["regex"]!.GetValue<string>(), RegexOptions.CultureInvariant)));
            }
        }

        foreach (var (tag, regex) in DefaultExtractors)
        {
            _extractors.Add((tag, new Regex(regex, RegexOptions.CultureInvariant)));
        }
    }

    public void AddCounter(string statName) => _counters.Add(statName);

    public void AddGauge(string statName) => _gauges.Add(statName);

    public void AddHistogram(string statName) => _histograms.Add(statName);

    /// <summary>The Prometheus text exposition; counters grow with every scrape so that <c>rate()</c> has something to show.</summary>
    public string Render()
    {
        var scrape = Interlocked.Increment(ref _scrapes);
        var text = new StringBuilder();
        foreach (var group in _counters.Select(Tagged).GroupBy(s => s.Name))
        {
            text.Append("# TYPE ").Append(group.Key).Append(" counter\n");
            foreach (var stat in group)
            {
                text.Append(group.Key).Append(Labels(stat.Labels)).Append(' ').Append((scrape * 10).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        foreach (var group in _gauges.Select(Tagged).GroupBy(s => s.Name))
        {
            text.Append("# TYPE ").Append(group.Key).Append(" gauge\n");
            foreach (var stat in group)
            {
                text.Append(group.Key).Append(Labels(stat.Labels)).Append(" 1\n");
            }
        }

        foreach (var group in _histograms.Select(Tagged).GroupBy(s => s.Name))
        {
            text.Append("# TYPE ").Append(group.Key).Append(" histogram\n");
            foreach (var stat in group)
            {
                // Every observation in this scrape's interval took 7 ms: 10 of them per scrape.
                var count = scrape * 10;
                foreach (var bound in HistogramBuckets)
                {
                    var le = bound.ToString(CultureInfo.InvariantCulture);
                    text.Append(group.Key).Append("_bucket").Append(Labels([.. stat.Labels, ("le", le)])).Append(' ')
                        .Append((bound >= 7 ? count : 0).ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                text.Append(group.Key).Append("_bucket").Append(Labels([.. stat.Labels, ("le", "+Inf")])).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(group.Key).Append("_sum").Append(Labels(stat.Labels)).Append(' ').Append((count * 7).ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append(group.Key).Append("_count").Append(Labels(stat.Labels)).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>A stat name with its tags cut out, as Envoy names it in Prometheus, and its labels.</summary>
    public (string Name, List<(string Name, string Value)> Labels) Tagged(string statName)
    {
        var cut = new bool[statName.Length];
        var labels = new List<(string, string)>();
        foreach (var (tag, regex) in _extractors)
        {
            var match = regex.Match(statName);
            if (!match.Success || match.Groups.Count < 2 || !match.Groups[1].Success)
            {
                continue;
            }

            var removed = match.Groups[1];
            var value = match.Groups.Count > 2 && match.Groups[2].Success ? match.Groups[2].Value : removed.Value;
            for (var i = removed.Index; i < removed.Index + removed.Length; i++)
            {
                cut[i] = true;
            }

            labels.Add((Sanitize(tag), value));
        }

        labels.AddRange(_fixedTags.Select(t => (Sanitize(t.Tag), t.Value)));
        var name = new StringBuilder("envoy.");
        for (var i = 0; i < statName.Length; i++)
        {
            if (!cut[i])
            {
                name.Append(statName[i]);
            }
        }

        return (Sanitize(name.ToString()), labels);
    }

    private static string Sanitize(string name) => Regex.Replace(name, "[^a-zA-Z0-9_]", "_");

    private static string Labels(IEnumerable<(string Name, string Value)> labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"")) + "}";
}
