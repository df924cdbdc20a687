using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Observability;
using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// A mesh's tracing tags (<see cref="MeshTracingTags"/>) are checked where they are written, so that a typo is a
/// BadRequestException naming the tag rather than a tracer that silently never appears. Only meshes are checked:
/// the tags mean nothing on other resources.
/// </summary>
public static class TracingTagRules
{
    /// <summary>CreateMesh: every problem of the tracing tags given, each named by its place in <c>tags</c>.</summary>
    public static void CheckCreate(JsonArray tags) => Report(MeshTracingTags.Parse(Read(tags)).Problems, tags);

    /// <summary>
    /// TagResource on a mesh: when the request sets any tracing tag, the mesh's tracing as the tags will then be
    /// must be usable (a request that touches no tracing tag is not held up by one already stored).
    /// </summary>
    public static void CheckTag(JsonArray requested, JsonArray merged)
    {
        if (Read(requested).Any(t => MeshTracingTags.IsTracingKey(t.Key)))
        {
            Report(MeshTracingTags.Parse(Read(merged)).Problems, requested);
        }
    }

    /// <summary>Names each problem by the request's tag that carries it, or as a tag already on the mesh.</summary>
    private static void Report(IReadOnlyList<TracingTagProblem> problems, JsonArray requested)
    {
        if (problems.Count == 0)
        {
            return;
        }

        var keys = Read(requested).Select(t => t.Key).ToList();
        var violations = problems.Select(problem =>
        {
            var index = keys.IndexOf(problem.Key);
            if (index < 0)
            {
                return new Violation("tags", $"tag {problem.Key} already on the mesh: {problem.Message}");
            }

            var member = problem.Key is MeshTracingTags.ProviderKey or MeshTracingTags.EndpointKey or MeshTracingTags.SamplingKey ? "value" : "key";
            return new Violation($"tags[{index}].{member}", problem.ToString());
        }).ToList();
        throw AppMeshException.Invalid(violations);
    }

    private static IEnumerable<ResourceTag> Read(JsonArray tags) =>
        tags.Select(t => new ResourceTag(t!["key"]!.GetValue<string>(), t["value"]!.GetValue<string>()));
}
