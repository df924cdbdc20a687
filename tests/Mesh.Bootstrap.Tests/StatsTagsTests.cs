using System.Text.RegularExpressions;
using Mesh.Bootstrap.Tests.Support;
using Mesh.Model.Specs;
using Mesh.Translation;

namespace Mesh.Bootstrap.Tests;

/// <summary>
/// App Mesh's stats tags applied the way Envoy applies tag extractors (<see cref="EnvoyTagExtraction"/>) to stat names
/// built from the translation's own names (<see cref="EnvoyNames"/>), so a renamed cluster or stat prefix fails here.
/// </summary>
public sealed class StatsTagsTests
{
    private static readonly ProxyResource Node = ProxyResource.Parse("mesh/demo/virtualNode/web-v1");

    private static EnvoyTagExtraction.Result Extract(string stat) =>
        EnvoyTagExtraction.Apply(stat, Envoy.Config.Bootstrap.V3.Bootstrap.Parser.ParseJson(
            "{\"stats_config\":{\"stats_tags\":" + StatsTags.For(Node).ToJsonString() + "}}").StatsConfig.StatsTags);

    [Fact]
    public void FixedTags_NameTheMeshAndTheResource()
    {
        var node = Extract("server.live");
        Assert.Equal("demo", node.Tags["appmesh.mesh"]);
        Assert.Equal("web-v1", node.Tags["appmesh.virtual_node"]);

        var gateway = StatsTags.For(ProxyResource.Parse("arn:aws:appmesh:us-east-1:111122223333:mesh/shared@444455556666/virtualGateway/edge"));
        Assert.Equal("appmesh.virtual_gateway", gateway[1]!["tag_name"]!.GetValue<string>());
        Assert.Equal("edge", gateway[1]!["fixed_value"]!.GetValue<string>());
        Assert.Equal("shared", gateway[0]!["fixed_value"]!.GetValue<string>()); // the mesh's name, not mesh@owner
    }

    public static TheoryData<string, string, string, string> Stats() => new()
    {
        // App Mesh's own form: the HTTP connection manager of a node with several listeners.
        { "http.ingress.http.8080.downstream_rq_2xx", "http", "8080", "http.downstream_rq_2xx" },
        { "listener.0.0.0.0_15000.http.ingress.grpc.9090.downstream_rq_completed", "grpc", "9090", "listener.0.0.0.0_15000.http.ingress.downstream_rq_completed" },
        { "tcp.ingress.tcp.5432.downstream_cx_total", "tcp", "5432", "tcp.downstream_cx_total" },
        { "http.egress.http2.8443.downstream_rq_5xx", "http2", "8443", "http.downstream_rq_5xx" },
        // Cluster stats: the tags come from the cluster name, which itself stays whole in envoy.cluster_name.
        { $"cluster.{EnvoyNames.IngressCluster("demo", "web-v1", PortProtocol.Http, 8080)}.upstream_rq_total", "http", "8080", "cluster.upstream_rq_total" },
        { $"cluster.{EnvoyNames.EgressCluster("demo", "web_http_2", PortProtocol.Grpc, 9000)}.upstream_rq_503", "grpc", "9000", "cluster.upstream_rq_503" },
        { $"cluster.{EnvoyNames.EgressCluster("http", "api", PortProtocol.Http2, 443)}.upstream_cx_http2_total", "http2", "443", "cluster.upstream_cx_http2_total" },
        { $"cluster.{EnvoyNames.EgressCluster("demo", "db", PortProtocol.Tcp, 5432)}.upstream_cx_active", "tcp", "5432", "cluster.upstream_cx_active" },
    };

    [Theory]
    [MemberData(nameof(Stats))]
    public void ListenerProtocolAndPort_AreTaken_AndTheNameStaysReadable(string stat, string protocol, string port, string name)
    {
        var result = Extract(stat);
        Assert.Equal(protocol, result.Tags["appmesh.listener_protocol"]);
        Assert.Equal(port, result.Tags["appmesh.listener_port"]);
        Assert.Equal(name, result.Name);
        if (stat.StartsWith("cluster.", StringComparison.Ordinal))
        {
            Assert.Equal(stat["cluster.".Length..stat.LastIndexOf('.')], result.Tags["envoy.cluster_name"]);
        }
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
        var result = Extract(stat);
        Assert.False(result.Tags.ContainsKey("appmesh.listener_protocol"), stat);
        Assert.False(result.Tags.ContainsKey("appmesh.listener_port"), stat);
    }

    [Fact]
    public void Regexes_UseOnlySyntaxEcmaScriptAndRe2Share()
    {
        foreach (var regex in new[] { StatsTags.ListenerProtocolRegex, StatsTags.ListenerPortRegex })
        {
            _ = new Regex(regex, RegexOptions.ECMAScript); // std::regex's dialect; throws on .NET-only syntax
            Assert.DoesNotMatch(@"\(\?[=!<]|\\[1-9]|\(\?<|\\[pPk]", regex); // no lookaround, backreferences, named groups
        }
    }
}
