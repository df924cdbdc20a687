using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>Tag lists as stored: unique keys, in the order given.</summary>
public static class Tags
{
    public static JsonArray Normalize(JsonArray? tags)
    {
        if (tags is null)
        {
            return [];
        }

        var violations = new List<Violation>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tags.Count; i++)
        {
            var key = tags[i]!["key"]!.GetValue<string>();
            if (!seen.TryAdd(key, i))
            {
                violations.Add(new Violation($"tags[{i}].key", $"duplicates the key '{key}' of tags[{seen[key]}]"));
            }
        }

        if (violations.Count > 0)
        {
            throw AppMeshException.Invalid(violations);
        }

        return (JsonArray)tags.DeepClone();
    }
}
