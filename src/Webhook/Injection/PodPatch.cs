using System.Text.Json.Nodes;
using Mesh.Webhook.Hosting;

namespace Mesh.Webhook.Injection;

/// <summary>
/// The RFC 6902 JSON Patch that injects the proxy: only "add" operations, appending to the pod's lists (or creating a
/// list the pod lacks), so nothing the pod already has is touched.
/// </summary>
public static class PodPatch
{
    public static JsonArray Build(JsonObject pod, SidecarRequest request, WebhookOptions options)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var patch = new JsonArray();
        if (request.Proxyless)
        {
            // Each application container that does not name a bootstrap of its own gets the node's.
            var containers = spec["containers"] as JsonArray ?? [];
            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i] is not JsonObject container
                    || PodReader.HasEnv(container, SidecarBuilder.GrpcBootstrapVariable) || PodReader.HasEnv(container, SidecarBuilder.GrpcBootstrapFileVariable))
                {
                    continue;
                }

                var env = SidecarBuilder.GrpcBootstrapEnv(request, options);
                patch.Add(container["env"] is JsonArray
                    ? new JsonObject { ["op"] = "add", ["path"] = $"/spec/containers/{i}/env/-", ["value"] = env }
                    : new JsonObject { ["op"] = "add", ["path"] = $"/spec/containers/{i}/env", ["value"] = new JsonArray(env) });
            }

            return patch;
        }

        if (request.Redirects)
        {
            // Appended, not first: mesh-proxy-init only changes the network namespace, and the application starts
            // after every init container has finished either way.
            patch.Add(Add("initContainers", SidecarBuilder.ProxyInit(request, options), spec["initContainers"] is JsonArray));
        }

        patch.Add(Add("containers", SidecarBuilder.Envoy(request, options), spec["containers"] is JsonArray));
        var hasVolumes = spec["volumes"] is JsonArray;
        foreach (var volume in SidecarBuilder.Volumes(request, options))
        {
            patch.Add(Add("volumes", volume, hasVolumes));
            hasVolumes = true; // the first add created the list
        }

        return patch;
    }

    private static JsonObject Add(string list, JsonObject item, bool listExists) => listExists
        ? new JsonObject { ["op"] = "add", ["path"] = $"/spec/{list}/-", ["value"] = item }
        : new JsonObject { ["op"] = "add", ["path"] = $"/spec/{list}", ["value"] = new JsonArray(item) };
}
