using Envoy.Config.Metrics.V3;
using Google.Protobuf;
using Mesh.Model.Identity;
using System.Text.Json.Nodes;

namespace Mesh.Bootstrap;

/// <summary>
/// The bootstrap's <c>stats_config.stats_tags</c> (docs/envoy-mapping.md §1), in one of two styles (<see cref="StatsTagsStyle"/>).
/// </summary>
/// <remarks>
/// Envoy's tag extraction: a tag's regex is searched in the full stat name, its first group is cut from the name and
/// its second group is the tag's value. A tag name may appear only once, so each regex covers every place its value
/// appears in the names the translation uses (docs/envoy-mapping.md §2).
/// <para>
/// App Mesh's agent tagged ingress stats only: HTTP connection manager and TCP proxy stats with the stat prefix
/// <c>ingress.&lt;proto&gt;.&lt;port&gt;</c> (a node with several listeners), e.g. <c>http.ingress.http.8080.downstream_rq_2xx</c>
/// → <c>http.ingress.downstream_rq_2xx</c> {http, 8080}, and the RDS stats under that prefix,
/// <c>http.ingress.http.8080.rds.rds_ingress_http_8080.config_reload</c> → <c>envoy_rds_route_config</c> =
/// <c>rds_ingress_http_8080</c> (that tag's name has underscores, unlike the <c>appmesh.*</c> ones).
/// </para>
/// <para>
/// The extended style adds the same tags where egress (<c>egress.&lt;proto&gt;.&lt;port&gt;</c>) and cluster names
/// (<c>cds_ingress_&lt;mesh&gt;_&lt;vn&gt;_&lt;proto&gt;_&lt;port&gt;</c>, <c>cds_egress_…</c>) carry them. The part cut from a cluster
/// stat lies inside the cluster name, which Envoy's default <c>envoy.cluster_name</c> tag cuts whole, so the cluster
/// name tag and the stat name are unchanged.
/// </para>
/// Listener stats are named by address (<c>listener.0.0.0.0_15000.*</c>), not by the listener name, so
/// <c>lds_ingress_0.0.0.0_15000</c> itself never appears in a stat name. The regexes use only syntax that std::regex
/// (ECMAScript) and RE2 read alike.
/// </remarks>
public static class StatsTags
{
    public const string RouteConfigTag = "envoy_rds_route_config";

    private const string Protocols = "(?:http2|http|grpc|tcp)";

    /// <summary>App Mesh's: the protocol of an ingress stat prefix <c>ingress.&lt;proto&gt;.&lt;port&gt;</c>.</summary>
    public const string IngressProtocolRegex = @"^.*?\.ingress\.((http2|http|grpc|tcp)\.)[0-9]+\.";

    /// <summary>App Mesh's: the port of an ingress stat prefix.</summary>
    public const string IngressPortRegex = @"^.*?\.ingress\." + Protocols + @"\.(([0-9]+)\.)";

    /// <summary>App Mesh's: the route configuration of an ingress connection manager's RDS stats.</summary>
    public const string IngressRouteConfigRegex = @"^.*?\.ingress\." + Protocols + @"\.[0-9]+\.rds\.((.*?)\.)";

    /// <summary>Extended: the protocol of ingress and egress stat prefixes and of <c>cds_ingress_…</c> / <c>cds_egress_…</c> cluster stats.</summary>
    public const string ListenerProtocolRegex =
        @"^(?:.*?\.(?:ingress|egress)\.|cluster\.cds_(?:ingress|egress)_.+?_)((http2|http|grpc|tcp)[._])[0-9]+\.";

    /// <summary>Extended: the port, wherever <see cref="ListenerProtocolRegex"/> finds the protocol.</summary>
    public const string ListenerPortRegex =
        @"^(?:.*?\.(?:ingress|egress)\." + Protocols + @"\.|cluster\.cds_(?:ingress|egress)_.+?_" + Protocols + @"_)(([0-9]+)\.)";

    /// <summary>Extended: the route configuration of ingress and egress RDS stats.</summary>
    public const string RouteConfigRegex = @"^.*?\.(?:ingress|egress)\." + Protocols + @"\.[0-9]+\.rds\.((.*?)\.)";

    /// <summary>The <c>stats_tags</c> list for a proxy of this resource; empty for <see cref="StatsTagsStyle.None"/>.</summary>
    public static IReadOnlyList<TagSpecifier> Tags(NodeId resource, StatsTagsStyle style) => style switch
    {
        StatsTagsStyle.AppMesh =>
        [
            Fixed("appmesh.mesh", resource.Mesh),
            Fixed("appmesh." + resource.Kind.SnakeName(), resource.Name),
            Regex("appmesh.listener_protocol", IngressProtocolRegex),
            Regex("appmesh.listener_port", IngressPortRegex),
            Regex(RouteConfigTag, IngressRouteConfigRegex),
        ],
        StatsTagsStyle.Extended =>
        [
            Fixed("appmesh.mesh", resource.Mesh),
            Fixed("appmesh." + resource.Kind.SnakeName(), resource.Name),
            Regex("appmesh.listener_protocol", ListenerProtocolRegex),
            Regex("appmesh.listener_port", ListenerPortRegex),
            Regex(RouteConfigTag, RouteConfigRegex),
        ],
        _ => [],
    };

    /// <summary><see cref="Tags"/> in the proto3 JSON mapping, as the bootstrap's JSON and YAML carry them.</summary>
    public static JsonArray For(NodeId resource, StatsTagsStyle style) =>
        new(Tags(resource, style).Select(tag => JsonNode.Parse(Formatter.Format(tag))).ToArray());

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    private static TagSpecifier Fixed(string name, string value) => new() { TagName = name, FixedValue = value };

    private static TagSpecifier Regex(string name, string regex) => new() { TagName = name, Regex = regex };
}
