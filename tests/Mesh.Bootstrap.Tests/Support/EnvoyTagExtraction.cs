using System.Text.RegularExpressions;
using Envoy.Config.Metrics.V3;

namespace Mesh.Bootstrap.Tests.Support;

/// <summary>
/// Envoy's tag extraction (source/common/stats/tag_producer_impl.cc, tag_extractor_impl.cc), for tests: every
/// extractor searches the original stat name; a fixed tag always applies; a regex tag's first group is cut from the
/// name and its second group (or the first, when there is one) is the value. The cuts of all extractors are joined.
/// Envoy's default extractors that our names meet are included (cluster name, HTTP connection manager and TCP prefix).
/// </summary>
public static class EnvoyTagExtraction
{
    public sealed record Result(string Name, IReadOnlyDictionary<string, string> Tags);

    private static readonly (string Name, string Regex)[] Defaults =
    [
        ("envoy.cluster_name", @"^cluster\.((.*?)\.)"),
        ("envoy.http_conn_manager_prefix", @"^http\.(([^.]*?)\.)"),
        ("envoy.tcp_prefix", @"^tcp\.((.*?)\.)\w+?$"),
    ];

    public static Result Apply(string stat, IEnumerable<TagSpecifier> specifiers)
    {
        var tags = new Dictionary<string, string>();
        var cut = new bool[stat.Length];
        var extractors = Defaults.Select(d => (d.Name, Regex: (string?)d.Regex, Fixed: (string?)null))
            .Concat(specifiers.Select(s => (Name: s.TagName, Regex: s.HasRegex ? s.Regex : null, Fixed: s.HasFixedValue ? s.FixedValue : null)));
        foreach (var (name, regex, fixedValue) in extractors)
        {
            if (fixedValue is not null)
            {
                Assert.True(tags.TryAdd(name, fixedValue), $"tag {name} twice");
                continue;
            }

            var match = new Regex(regex!, RegexOptions.ECMAScript).Match(stat);
            if (!match.Success || match.Groups.Count < 2)
            {
                continue;
            }

            var remove = match.Groups[1];
            var value = match.Groups.Count > 2 ? match.Groups[2] : remove;
            Assert.True(tags.TryAdd(name, value.Value), $"tag {name} twice");
            for (var i = remove.Index; i < remove.Index + remove.Length; i++)
            {
                cut[i] = true;
            }
        }

        var kept = new string(stat.Where((_, i) => !cut[i]).ToArray());
        return new Result(kept, tags);
    }
}
