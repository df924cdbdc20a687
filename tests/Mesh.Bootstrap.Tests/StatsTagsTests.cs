using Mesh.Model.Identity;
using System.Text.RegularExpressions;
using Mesh.Bootstrap.Tests.Support;
using Mesh.Model.Specs;
using Mesh.Translation;

namespace Mesh.Bootstrap.Tests;

/// <summary>
/// The stats tags applied the way Envoy applies tag extractors (<see cref="EnvoyTagExtraction"/>) to stat names built
/// from the translation's own names (<see cref="EnvoyNames"/>), so a renamed cluster or stat prefix fails here. The
/// default style must tag exactly what App Mesh's agent tagged, and leave every other name as Envoy makes it.
/// </summary>
public sealed class StatsTagsTests
{
    private static readonly NodeId Node = NodeId.Parse("mesh/demo/virtualNode/web-v1");

    private static EnvoyTagExtraction.Result Extract(string stat, StatsTagsStyle style) =>
        EnvoyTagExtraction.Apply(stat, Envoy.Config.Bootstrap.V3.Bootstrap.Parser.ParseJson(
            "{\"stats_config\":{\"stats_tags\":" + StatsTags.For(Node, style).ToJsonString() + "}}").StatsConfig.StatsTags);

    [Theory]
    [InlineData(StatsTagsStyle.AppMesh)]
    [InlineData(StatsTagsStyle.Extended)]
    public void FixedTags_NameTheMeshAndTheResource(StatsTagsStyle style)
    {
        var node = Extract("server.live", style);
        Assert.Equal("demo", node.Tags["appmesh.mesh"]);
        Assert.Equal("web-v1", node.Tags["appmesh.virtual_node"]);

        var gateway = StatsTags.For(NodeId.Parse("arn:aws:appmesh:us-east-1:111122223333:mesh/shared@444455556666/virtualGateway/edge"), style);
        Assert.Equal("appmesh.virtual_gateway", gateway[1]!["tag_name"]!.GetValue<string>());
        Assert.Equal("edge", gateway[1]!["fixed_value"]!.GetValue<string>());
        Assert.Equal("shared", gateway[0]!["fixed_value"]!.GetValue<string>()); // the mesh's name, not mesh@owner
    }

    [Fact]
    public void The_Default_Style_Has_Exactly_The_App_Mesh_Agents_Tag_Names()
    {
        var names = StatsTags.For(Node, new BootstrapOptions { NodeId = "mesh/demo/virtualNode/web-v1" }.StatsTags).Select(t => t!["tag_name"]!.GetValue<string>());

        Assert.Equal(["appmesh.mesh", "appmesh.virtual_node", "appmesh.listener_protocol", "appmesh.listener_port", "envoy_rds_route_config"], names);
        Assert.Empty(StatsTags.For(Node, StatsTagsStyle.None));
    }

    public static TheoryData<string, string, string, string> IngressStats() => new()
    {
        // App Mesh's stat prefix for a node with several listeners: ingress.<proto>.<port>.
        { "http.ingress.http.8080.downstream_rq_2xx", "http", "8080", "http.downstream_rq_2xx" },
        { "listener.0.0.0.0_15000.http.ingress.grpc.9090.downstream_rq_completed", "grpc", "9090", "listener.0.0.0.0_15000.http.ingress.downstream_rq_completed" },
        { "tcp.ingress.tcp.5432.downstream_cx_total", "tcp", "5432", "tcp.downstream_cx_total" },
        { "http.ingress.http2.8443.downstream_rq_5xx", "http2", "8443", "http.downstream_rq_5xx" },
    };

    [Theory]
    [MemberData(nameof(IngressStats))]
    public void Ingress_Stats_Get_The_Listener_Protocol_And_Port_In_Both_Styles(string stat, string protocol, string port, string name)
    {
        foreach (var style in new[] { StatsTagsStyle.AppMesh, StatsTagsStyle.Extended })
        {
            var result = Extract(stat, style);
            Assert.Equal(protocol, result.Tags["appmesh.listener_protocol"]);
            Assert.Equal(port, result.Tags["appmesh.listener_port"]);
            Assert.Equal(name, result.Name);
        }
    }

    [Fact]
    public void Ingress_Rds_Stats_Name_Their_Route_Configuration()
    {
        var result = Extract($"http.ingress.http.8080.rds.{EnvoyNames.IngressRoute(PortProtocol.Http, 8080)}.config_reload", StatsTagsStyle.AppMesh);

        Assert.Equal(EnvoyNames.IngressRoute(PortProtocol.Http, 8080), result.Tags["envoy_rds_route_config"]);
        Assert.Equal(("http", "8080"), (result.Tags["appmesh.listener_protocol"], result.Tags["appmesh.listener_port"]));
        Assert.Equal("http.rds.config_reload", result.Name);
    }

    public static TheoryData<string, string, string, string> EgressAndClusterStats() => new()
    {
        { "http.egress.http2.8443.downstream_rq_5xx", "http2", "8443", "http.downstream_rq_5xx" },
        // Cluster stats: the tags come from the cluster name, which itself stays whole in envoy.cluster_name.
        { $"cluster.{EnvoyNames.IngressCluster("demo", "web-v1", PortProtocol.Http, 8080)}.upstream_rq_total", "http", "8080", "cluster.upstream_rq_total" },
        { $"cluster.{EnvoyNames.EgressCluster("demo", "web_http_2", PortProtocol.Grpc, 9000)}.upstream_rq_503", "grpc", "9000", "cluster.upstream_rq_503" },
        { $"cluster.{EnvoyNames.EgressCluster("http", "api", PortProtocol.Http2, 443)}.upstream_cx_http2_total", "http2", "443", "cluster.upstream_cx_http2_total" },
        { $"cluster.{EnvoyNames.EgressCluster("demo", "db", PortProtocol.Tcp, 5432)}.upstream_cx_active", "tcp", "5432", "cluster.upstream_cx_active" },
    };

    [Theory]
    [MemberData(nameof(EgressAndClusterStats))]
    public void Egress_And_Cluster_Stats_Are_Tagged_Only_In_The_Extended_Style(string stat, string protocol, string port, string name)
    {
        var appMesh = Extract(stat, StatsTagsStyle.AppMesh);
        Assert.False(appMesh.Tags.ContainsKey("appmesh.listener_protocol"), stat);
        Assert.False(appMesh.Tags.ContainsKey("appmesh.listener_port"), stat);

        var extended = Extract(stat, StatsTagsStyle.Extended);
        Assert.Equal(protocol, extended.Tags["appmesh.listener_protocol"]);
        Assert.Equal(port, extended.Tags["appmesh.listener_port"]);
        Assert.Equal(name, extended.Name);
        if (stat.StartsWith("cluster.", StringComparison.Ordinal))
        {
            Assert.Equal(stat["cluster.".Length..stat.LastIndexOf('.')], extended.Tags["envoy.cluster_name"]);
            Assert.Equal(extended.Tags["envoy.cluster_name"], appMesh.Tags["envoy.cluster_name"]);
        }
    }

    [Fact]
    public void Egress_Rds_Stats_Name_Their_Route_Configuration_Only_In_The_Extended_Style()
    {
        var stat = $"http.egress.http.8080.rds.{EnvoyNames.EgressRoute(PortProtocol.Http, 8080)}.config_reload";

        Assert.False(Extract(stat, StatsTagsStyle.AppMesh).Tags.ContainsKey("envoy_rds_route_config"));
        Assert.Equal(EnvoyNames.EgressRoute(PortProtocol.Http, 8080), Extract(stat, StatsTagsStyle.Extended).Tags["envoy_rds_route_config"]);
    }

    [Theory]
    [InlineData("http.ingress.downstream_rq_2xx")] // one listener: App Mesh's stat prefix is plain "ingress"
    [InlineData("cluster.cds_egress_demo_amazonaws.upstream_cx_total")]
    [InlineData("cluster.cds_egress_demo_mesh-allow-all.upstream_rq_total")]
    [InlineData("cluster.xds_cluster.upstream_cx_http2_total")]
    [InlineData("cluster." + EnvoyNames.TracingCollectorCluster + ".upstream_rq_total")] // the mesh's trace collector
    [InlineData("tcp.egress.mesh_allow_all.downstream_cx_total")]
    [InlineData("listener.0.0.0.0_15001.downstream_cx_total")]
    [InlineData("cluster_manager.cds.update_success")]
    public void OtherStats_GetNoListenerTags(string stat)
    {
        foreach (var style in new[] { StatsTagsStyle.AppMesh, StatsTagsStyle.Extended })
        {
            var result = Extract(stat, style);
            Assert.False(result.Tags.ContainsKey("appmesh.listener_protocol"), stat);
            Assert.False(result.Tags.ContainsKey("appmesh.listener_port"), stat);
            Assert.False(result.Tags.ContainsKey("envoy_rds_route_config"), stat);
        }
    }

    [Fact]
    public void Regexes_UseOnlySyntaxEcmaScriptAndRe2Share()
    {
        foreach (var regex in new[]
        {
            StatsTags.IngressProtocolRegex, StatsTags.IngressPortRegex, StatsTags.IngressRouteConfigRegex,
            StatsTags.ListenerProtocolRegex, StatsTags.ListenerPortRegex, StatsTags.RouteConfigRegex,
        })
        {
            _ = new Regex(regex, RegexOptions.ECMAScript); // std::regex's dialect; throws on .NET-only syntax
            Assert.DoesNotMatch(@"\(\?[=!<]|\\[1-9]|\(\?<|\\[pPk]", regex); // no lookaround, backreferences, named groups
        }
    }
}
