using System.Text.Json.Nodes;

namespace Mesh.Bootstrap;

/// <summary>
/// App Mesh's stats tags (ENVOY-MAPPING.md §1), so that dashboards and queries written against App Mesh proxies keep
/// working: the fixed tags <c>appmesh.mesh</c> and <c>appmesh.virtual_node</c> / <c>appmesh.virtual_gateway</c>, and the
/// regex tags <c>appmesh.listener_protocol</c> and <c>appmesh.listener_port</c>.
/// </summary>
/// <remarks>
/// Envoy's tag extraction: a tag's regex is searched in the full stat name, its first group is cut from the name and
/// its second group is the tag's value. A tag name may appear only once, so each regex covers every place the
/// protocol and port appear in the names the translation uses (ENVOY-MAPPING.md §2):
/// <list type="bullet">
/// <item>HTTP connection manager and TCP proxy stats with the stat prefix <c>ingress.&lt;proto&gt;.&lt;port&gt;</c> (a node
/// with several listeners; App Mesh's own form) or <c>egress.&lt;proto&gt;.&lt;port&gt;</c>, e.g.
/// <c>http.ingress.http.8080.downstream_rq_2xx</c> → <c>http.ingress.downstream_rq_2xx</c> {http, 8080};</item>
/// <item>cluster stats of <c>cds_ingress_&lt;mesh&gt;_&lt;vn&gt;_&lt;proto&gt;_&lt;port&gt;</c> and <c>cds_egress_…</c>, e.g.
/// <c>cluster.cds_ingress_demo_web_http_8080.upstream_rq_total</c>. The part cut lies inside the cluster name, which
/// Envoy's default <c>envoy.cluster_name</c> tag cuts whole, so the cluster name tag and the stat name are unchanged.</item>
/// </list>
/// Listener stats are named by address (<c>listener.0.0.0.0_15000.*</c>, Envoy's <c>envoy.listener_address</c> tag), not by
/// the listener name, so <c>lds_ingress_0.0.0.0_15000</c> itself never appears in a stat name.
/// The regexes use only syntax that std::regex (ECMAScript) and RE2 read alike.
/// </remarks>
public static class StatsTags
{
    private const string Protocols = "(?:http2|http|grpc|tcp)";

    public const string ListenerProtocolRegex =
        @"^(?:.*?\.(?:ingress|egress)\.|cluster\.cds_(?:ingress|egress)_.+?_)((http2|http|grpc|tcp)[._])[0-9]+\.";

    public const string ListenerPortRegex =
        @"^(?:.*?\.(?:ingress|egress)\." + Protocols + @"\.|cluster\.cds_(?:ingress|egress)_.+?_" + Protocols + @"_)(([0-9]+)\.)";

    /// <summary>The <c>stats_tags</c> list for a proxy of this resource.</summary>
    public static JsonArray For(ProxyResource resource) =>
    [
        Fixed("appmesh.mesh", resource.Mesh),
        Fixed("appmesh." + resource.KindSnakeName, resource.Name),
        Regex("appmesh.listener_protocol", ListenerProtocolRegex),
        Regex("appmesh.listener_port", ListenerPortRegex),
    ];

    private static JsonObject Fixed(string name, string value) => new() { ["tag_name"] = name, ["fixed_value"] = value };

    private static JsonObject Regex(string name, string regex) => new() { ["tag_name"] = name, ["regex"] = regex };
}
