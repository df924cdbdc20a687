using System.Text.Json.Nodes;
using Google.Protobuf;
using Mesh.EnvoyTesting;

namespace Mesh.Translation.Tests.Translation;

/// <summary>Readable JSON of translation output: protobuf's JSON mapping (Any expanded through the type registry), indented.</summary>
public static class GoldenJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(EnvoyTypes.Registry));

    public static JsonObject Of(ProxyResources resources) => new()
    {
        ["listeners"] = Array(resources.Listeners),
        ["routeConfigurations"] = Array(resources.RouteConfigurations),
        ["clusters"] = Array(resources.Clusters),
        ["clusterLoadAssignments"] = Array(resources.ClusterLoadAssignments),
        ["secrets"] = Array(resources.Secrets),
        ["warnings"] = new JsonArray(resources.Warnings.Select(w => (JsonNode)JsonValue.Create(w.Message)!).ToArray()),
    };

    private static JsonArray Array(IEnumerable<IMessage> messages) =>
        new(messages.Select(m => JsonNode.Parse(Formatter.Format(m))).ToArray());
}
