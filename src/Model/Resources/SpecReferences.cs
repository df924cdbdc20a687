using System.Text.Json.Nodes;

namespace Mesh.Model.Resources;

/// <summary>
/// Finds the resources a spec depends on. These must exist when the spec is written, and they
/// cannot be deleted while the spec refers to them. A virtual node's backends are deliberately not
/// among them: two services that call each other could never be created otherwise.
/// </summary>
public static class SpecReferences
{
    private static readonly string[] RouteProtocols = ["httpRoute", "http2Route", "grpcRoute", "tcpRoute"];

    public static IReadOnlyList<SpecReference> Of(ResourceKind kind, JsonObject spec)
    {
        var found = new List<SpecReference>();
        if (kind == ResourceKind.VirtualService)
        {
            AddName(found, spec["provider"]?["virtualNode"]?["virtualNodeName"], ResourceKind.VirtualNode, "spec.provider.virtualNode.virtualNodeName");
            AddName(found, spec["provider"]?["virtualRouter"]?["virtualRouterName"], ResourceKind.VirtualRouter, "spec.provider.virtualRouter.virtualRouterName");
        }
        else if (kind == ResourceKind.Route)
        {
            foreach (var protocol in RouteProtocols)
            {
                if (spec[protocol]?["action"]?["weightedTargets"] is JsonArray targets)
                {
                    for (var i = 0; i < targets.Count; i++)
                    {
                        AddName(found, targets[i]?["virtualNode"], ResourceKind.VirtualNode, $"spec.{protocol}.action.weightedTargets[{i}].virtualNode");
                    }
                }
            }
        }
        else if (kind == ResourceKind.GatewayRoute)
        {
            foreach (var protocol in RouteProtocols)
            {
                AddName(found, spec[protocol]?["action"]?["target"]?["virtualService"]?["virtualServiceName"], ResourceKind.VirtualService,
                    $"spec.{protocol}.action.target.virtualService.virtualServiceName");
            }
        }

        return found;
    }

    private static void AddName(List<SpecReference> found, JsonNode? node, ResourceKind kind, string path)
    {
        if (node is JsonValue value && value.TryGetValue<string>(out var name))
        {
            found.Add(new SpecReference(kind, name, path));
        }
    }
}
