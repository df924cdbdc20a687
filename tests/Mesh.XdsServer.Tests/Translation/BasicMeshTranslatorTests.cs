using Mesh.EnvoyTesting;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Mesh.XdsServer.Translation;

namespace Mesh.XdsServer.Tests.Translation;

public sealed class BasicMeshTranslatorTests
{

    private readonly BasicMeshTranslator _translator = new();

    public static TheoryData<string, string, ProxyKind, string> Proxies() => new()
    {
        { "sidecar with a routed backend", "demo", ProxyKind.VirtualNode, "web" },
        { "provider without backends", "demo", ProxyKind.VirtualNode, "api-v1" },
        { "gRPC provider", "demo", ProxyKind.VirtualNode, "billing" },
        { "ALLOW_ALL mesh", "open", ProxyKind.VirtualNode, "web" },
        { "DNS-named provider", "dns", ProxyKind.VirtualNode, "web" },
        { "virtual gateway", "demo", ProxyKind.VirtualGateway, "gw" },
    };

    [Theory]
    [MemberData(nameof(Proxies))]
    public void Every_Resource_Passes_The_Envoy_Validation_Rules_And_The_Consistency_Check(string why, string meshName, ProxyKind kind, string name)
    {
        var mesh = Meshes(meshName);
        var resources = _translator.Translate(mesh.Graph, new ProxyIdentity(mesh.Key, kind, name));

        var snapshot = SnapshotBuilder.Build(resources);
        var errors = resources.Listeners.Concat(resources.OnDemandListeners).Cast<IMessage>()
            .Concat(resources.Routes).Concat(resources.Clusters).Concat(resources.Endpoints)
            .SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry))
            .ToList();

        Assert.True(errors.Count == 0, $"{why}: {string.Join("\n", errors)}");
        Assert.NotEmpty(snapshot.Resources);
    }

    [Fact]
    public void The_Validator_Catches_What_Envoy_Would_Reject()
    {
        var cluster = new Cluster { Name = "", ConnectTimeout = new Google.Protobuf.WellKnownTypes.Duration { Seconds = -1 } };
        var hcm = new HttpConnectionManager { Rds = new Rds() };
        var listener = new Listener
        {
            Name = "l",
            FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(hcm) } } } },
        };

        Assert.Contains(PgvValidator.Validate(cluster, EnvoyTypes.Registry), e => e.Contains("Cluster.connect_timeout", StringComparison.Ordinal));
        var listenerErrors = PgvValidator.Validate(listener, EnvoyTypes.Registry);
        Assert.Contains(listenerErrors, e => e.Contains("HttpConnectionManager>.stat_prefix", StringComparison.Ordinal));
        Assert.Contains(listenerErrors, e => e.Contains("HttpConnectionManager>.rds.config_source: is required", StringComparison.Ordinal));
    }

    [Fact]
    public void A_Sidecar_Gets_App_Mesh_Names_And_Weighted_Egress_Routes()
    {
        var mesh = MeshRows.Demo();
        var resources = _translator.Translate(mesh.Graph, new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "web"));

        Assert.Equal(["lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"], resources.Listeners.Select(l => l.Name));
        Assert.Equal(["api.demo.local", "api.demo.local:9080"], resources.OnDemandListeners.Select(l => l.Name));
        Assert.Equal(["rds_egress_http_9080", "rds_ingress_http_8080"], resources.Routes.Select(r => r.Name));
        var host = resources.Routes[0].VirtualHosts.Single();
        Assert.Equal(["api.demo.local", "api.demo.local:9080"], host.Domains);
        Assert.Equal(
            [("cds_egress_demo_api-v1_http_9080", 50u), ("cds_egress_demo_api-v2_http_9080", 50u)],
            host.Routes.Single().Route_.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)));
        var ingress = resources.Clusters.Single(c => c.Name == "cds_ingress_demo_web_http_8080");
        Assert.Equal(Cluster.Types.DiscoveryType.Static, ingress.Type);
        Assert.Equal("127.0.0.1", ingress.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
    }

    [Fact]
    public void Translation_Is_Deterministic()
    {
        var mesh = MeshRows.Demo();
        var identity = new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "web");
        var a = _translator.Translate(mesh.Graph, identity);
        var b = _translator.Translate(MeshRows.Demo().Graph, identity);

        Assert.Equal(a.Listeners.Select(l => l.ToByteString()), b.Listeners.Select(l => l.ToByteString()));
        Assert.Equal(a.Routes.Select(l => l.ToByteString()), b.Routes.Select(l => l.ToByteString()));
    }

    private static MeshRows Meshes(string name) => name switch
    {
        "open" => new MeshRows("open", """{"egressFilter":{"type":"ALLOW_ALL"}}""")
            .Node("web", "10.0.0.1", 8080, "http", "api.open.local")
            .Node("api", "127.0.0.1", 9080, "http2")
            .ServiceByNode("api.open.local", "api"),
        "dns" => new MeshRows("dns")
            .Node("web", "10.0.0.1", 8080, "tcp", "db.dns.local")
            .Node("db", "db.internal.example", 5432, "tcp")
            .Router("db-router", 5432, "tcp")
            .Put("route", "db-router", "tcp", """{"tcpRoute":{"action":{"weightedTargets":[{"virtualNode":"db","weight":1}]}}}""")
            .ServiceByRouter("db.dns.local", "db-router"),
        _ => MeshRows.Demo()
            .Gateway("gw", 9000)
            .GatewayRoute("gw", "api", "/api", "api.demo.local")
            .GatewayRoute("gw", "billing", "/", "billing.demo.local"),
    };
}
