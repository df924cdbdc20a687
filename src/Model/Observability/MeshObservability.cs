using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Specs;

namespace Mesh.Model.Observability;

/// <summary>
/// What a mesh's tags say about observability: the tracing to configure on its proxies, and the tracing tags that
/// could not be used. Unusable tags never make a mesh invalid (the API refuses them, but rows written before that
/// rule, or by hand, must not stop the mesh from serving); they switch the mesh's tracer off and are reported.
/// </summary>
public sealed record MeshObservability(MeshTracing? Tracing, EquatableList<TracingTagProblem> Problems)
{
    public static MeshObservability None { get; } = new(null, []);

    public static MeshObservability FromTags(IEnumerable<ResourceTag> tags)
    {
        var (tracing, problems) = MeshTracingTags.Parse(tags);
        return tracing is null && problems.Count == 0 ? None : new(tracing, problems.ToEquatableList());
    }

    /// <summary>From tags as stored: a JSON array of <c>{"key": …, "value": …}</c>; null or empty means no tags.</summary>
    public static MeshObservability FromTagsJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return None;
        }

        JsonArray? array;
        try
        {
            array = JsonNode.Parse(json) as JsonArray;
        }
        catch (JsonException)
        {
            array = null;
        }

        var tags = array?.Select(Tag).ToList();
        return tags is null || tags.Contains(null)
            ? new(null, [new TracingTagProblem("", "the mesh's stored tags are not a JSON list of {key, value} strings")])
            : FromTags(tags.OfType<ResourceTag>());
    }

    private static ResourceTag? Tag(JsonNode? node) =>
        node is JsonObject tag && tag["key"] is JsonValue key && key.TryGetValue<string>(out var k)
            && tag["value"] is JsonValue value && value.TryGetValue<string>(out var v)
            ? new ResourceTag(k, v)
            : null;
}
