using System.Text.Json;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Translation;

/// <summary>
/// The metadata App Mesh's metrics extension reads (docs/envoy-mapping.md §1 "Metrics extension"): App Mesh's Envoy
/// build emits <c>envoy.appmesh.*</c> stats (RequestCount, TargetResponseTime, …) whose TargetVirtualNode and
/// TargetVirtualService dimensions come from <c>filter_metadata["aws.appmesh.aggregate_stats"]</c>. As the
/// virtual-gateway <c>config_dump</c> shows it, the value is a struct with one string field <c>config</c> holding
/// compact JSON <c>{"tags":[{"key":…,"value":…}]}</c>: no tags on listeners, <c>TargetVirtualNode</c> on
/// <c>cds_egress_*</c> clusters, <c>TargetVirtualService</c> on egress routes. Stock Envoy ignores it; with
/// App Mesh's image the extension's dashboards keep their dimensions.
/// </summary>
internal static class AggregateStats
{
    public const string FilterName = "aws.appmesh.aggregate_stats";

    /// <summary>Listeners: counted, with no target dimension of their own (Mesh and the proxy come from the bootstrap).</summary>
    public static Metadata Untagged() => Of([]);

    public static Metadata TargetVirtualNode(string virtualNode) => Of([("TargetVirtualNode", virtualNode)]);

    public static Metadata TargetVirtualService(string virtualService) => Of([("TargetVirtualService", virtualService)]);

    private static Metadata Of(IEnumerable<(string Key, string Value)> tags)
    {
        var config = JsonSerializer.Serialize(new { tags = tags.Select(t => new { key = t.Key, value = t.Value }) });
        var fields = new Struct { Fields = { ["config"] = Value.ForString(config) } };
        return new Metadata { FilterMetadata = { [FilterName] = fields } };
    }
}
