using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Webhook.Injection;

/// <summary>
/// Checks that the parts of a pod the webhook reads and patches have a v1 Pod's shape. The API server sends pods as it
/// decoded them, so only a hand-made AdmissionReview fails here; without the check, a list where an object belongs
/// would be read as absent and the patch would replace it, and a number where a string belongs would throw.
/// </summary>
public static class PodShape
{
    /// <summary>The first part not of a pod's shape, by its path (e.g. <c>spec.containers[0].ports</c>), or null.</summary>
    public static string? Problem(JsonObject pod)
    {
        if (!Is(pod["metadata"], JsonValueKind.Object, out var problem, "metadata")
            || !Is(pod["metadata"]?["annotations"], JsonValueKind.Object, out problem, "metadata.annotations")
            || !Is(pod["spec"], JsonValueKind.Object, out problem, "spec"))
        {
            return problem;
        }

        foreach (var (key, value) in pod["metadata"]?["annotations"] as JsonObject ?? [])
        {
            if (value?.GetValueKind() != JsonValueKind.String)
            {
                return $"metadata.annotations.{key} is not a string";
            }
        }

        foreach (var list in new[] { "containers", "initContainers", "volumes" })
        {
            if (!Items(pod["spec"]?[list], $"spec.{list}", out problem))
            {
                return problem;
            }
        }

        foreach (var list in new[] { "containers", "initContainers" })
        {
            var containers = pod["spec"]?[list] as JsonArray ?? [];
            for (var i = 0; i < containers.Count; i++)
            {
                var where = $"spec.{list}[{i}]";
                if (!Is(containers[i]!["name"], JsonValueKind.String, out problem, $"{where}.name")
                    || !Items(containers[i]!["env"], $"{where}.env", out problem)
                    || !Items(containers[i]!["ports"], $"{where}.ports", out problem))
                {
                    return problem;
                }

                var ports = containers[i]!["ports"] as JsonArray ?? [];
                for (var p = 0; p < ports.Count; p++)
                {
                    if (ports[p]!["containerPort"] is not JsonValue port || !port.TryGetValue<int>(out _))
                    {
                        return $"{where}.ports[{p}].containerPort is not a whole number";
                    }

                    if (!Is(ports[p]!["protocol"], JsonValueKind.String, out problem, $"{where}.ports[{p}].protocol"))
                    {
                        return problem;
                    }
                }
            }
        }

        var volumes = pod["spec"]?["volumes"] as JsonArray ?? [];
        for (var i = 0; i < volumes.Count; i++)
        {
            if (!Is(volumes[i]!["name"], JsonValueKind.String, out problem, $"spec.volumes[{i}].name"))
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>Absent, null, or of <paramref name="kind"/>.</summary>
    private static bool Is(JsonNode? node, JsonValueKind kind, out string? problem, string where)
    {
        problem = node is null || node.GetValueKind() == kind ? null : $"{where} is not {Article(kind)}";
        return problem is null;
    }

    /// <summary>Absent, null, or a list of objects.</summary>
    private static bool Items(JsonNode? node, string where, out string? problem)
    {
        if (!Is(node, JsonValueKind.Array, out problem, where))
        {
            return false;
        }

        var items = node as JsonArray ?? [];
        var index = items.Select((item, i) => (item, i)).FirstOrDefault(x => x.item is not JsonObject, (null, -1)).Item2;
        problem = index < 0 ? null : $"{where}[{index}] is not an object";
        return problem is null;
    }

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => "a string",
    };
}
