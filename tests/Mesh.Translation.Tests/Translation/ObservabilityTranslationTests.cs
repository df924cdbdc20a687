using Envoy.Config.Listener.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Translation;

/// <summary>The mesh's tracer on every Envoy connection manager, and App Mesh's metrics-extension metadata.</summary>
public sealed class ObservabilityTranslationTests
{
    private static MeshGraph Graph(string? meshTags) => MeshGraph.Build(new MeshResourceRow[]
    {
        new("mesh", null, "m", 1, "{}", meshTags),
        new("virtualNode", null, "client", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"greeter"}}]}"""),
        new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.5"}}}"""),
        new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        new("virtualGateway", null, "edge", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"grpc"}},{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
        new("gatewayRoute", "edge", "to-greeter", 1, """{"grpcRoute":{"match":{"serviceName":"greeter"},"action":{"target":{"virtualService":{"virtualServiceName":"greeter"}}}}}"""),
    });

    private const string Zipkin = """[{"key":"mesh.tracing/provider","value":"zipkin"},{"key":"mesh.tracing/endpoint","value":"zipkin:9411"},{"key":"mesh.tracing/sampling","value":"5"}]""";

    [Theory]
    [InlineData("virtualNode/client", 2)]
    [InlineData("virtualGateway/edge", 2)]
    public void EveryConnectionManager_CarriesTheMeshTracer(string target, int managers)
    {
        var resources = new MeshTranslator().Translate(Graph(Zipkin), GoldenCase.ParseTarget(target));

        var hcms = ConnectionManagers(resources).ToList();
        Assert.Equal(managers, hcms.Count);
        foreach (var hcm in hcms)
        {
            Assert.Equal("envoy.tracers.zipkin", hcm.Tracing.Provider.Name);
            Assert.Equal(5, hcm.Tracing.RandomSampling.Value);
            var zipkin = hcm.Tracing.Provider.TypedConfig.Unpack<ZipkinConfig>();
            Assert.Equal(EnvoyNames.TracingCollectorCluster, zipkin.CollectorCluster);
            Assert.Equal("zipkin:9411", zipkin.CollectorHostname);
        }

        var collector = Assert.Single(resources.Clusters, c => c.Name == EnvoyNames.TracingCollectorCluster);
        Assert.Equal("zipkin", collector.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        Assert.Empty(ResourceConsistency.Check(resources));
        Assert.Empty(resources.Warnings.Messages());
    }

    [Fact]
    public void WithoutTracingTags_ConnectionManagersKeepAppMeshsEmptyTracing()
    {
        // tracing: {} makes Envoy trace with the bootstrap's tracer, when the bootstrap has one (App Mesh's way).
        var resources = new MeshTranslator().Translate(Graph(null), ProxyTarget.VirtualNode("client"));

        Assert.All(ConnectionManagers(resources), hcm => Assert.Equal(new HttpConnectionManager.Types.Tracing(), hcm.Tracing));
        Assert.DoesNotContain(resources.Clusters, c => c.Name == EnvoyNames.TracingCollectorCluster);
    }

    [Fact]
    public void ProxylessListeners_GetNoTracing()
    {
        // gRPC reads no tracing from xDS; what it cannot use it should not be sent.
        var resources = new MeshTranslator().Translate(Graph(Zipkin), ProxyTarget.Proxyless("greeter"));

        Assert.Null(Assert.Single(ConnectionManagers(resources)).Tracing);
        Assert.DoesNotContain(resources.Clusters, c => c.Name == EnvoyNames.TracingCollectorCluster);
    }

    [Fact]
    public void UnusableTracingTags_AreWarned_AndTheMeshTracerIsLeftOut()
    {
        var resources = new MeshTranslator().Translate(
            Graph("""[{"key":"mesh.tracing/provider","value":"zipkin"},{"key":"mesh.tracing/endpoint","value":"zipkin"}]"""),
            ProxyTarget.VirtualNode("client"));

        Assert.All(ConnectionManagers(resources), hcm => Assert.Null(hcm.Tracing.Provider));
        Assert.Equal(
            ["mesh/m: tag mesh.tracing/endpoint: 'zipkin' is not host:port (a DNS name or IP address, and a port from 1 to 65535); the mesh's tracing tags are ignored"],
            resources.Warnings.Messages());
    }

    [Fact]
    public void Consistency_ReportsATracerWhoseClusterIsMissing()
    {
        var resources = new MeshTranslator().Translate(Graph(Zipkin), ProxyTarget.VirtualNode("client"));
        var broken = resources with { Clusters = resources.Clusters.Where(c => c.Name != EnvoyNames.TracingCollectorCluster).ToList() };

        Assert.Equal(
            ["listener lds_egress_0.0.0.0_15001: tracer cluster mesh_tracing_collector is missing", "listener lds_ingress_0.0.0.0_15000: tracer cluster mesh_tracing_collector is missing"],
            ResourceConsistency.Check(broken));
    }

    [Fact]
    public void AggregateStatsMetadata_NamesTheTargets_AsAppMeshDid()
    {
        var sidecar = new MeshTranslator().Translate(Graph(null), ProxyTarget.VirtualNode("client"));
        var gateway = new MeshTranslator().Translate(Graph(null), ProxyTarget.VirtualGateway("edge"));

        Assert.All(sidecar.Listeners.Concat(gateway.Listeners), l => Assert.Equal("""{"tags":[]}""", AggregateConfig(l.Metadata)));
        Assert.Equal(
            """{"tags":[{"key":"TargetVirtualNode","value":"server"}]}""",
            AggregateConfig(Assert.Single(sidecar.Clusters, c => c.Name == "cds_egress_m_server_grpc_50051").Metadata));
        var egressRoute = sidecar.RouteConfigurations.Single(r => r.Name == "rds_egress_grpc_50051").VirtualHosts.Single(h => h.Name == "greeter").Routes.Single();
        var gatewayRoute = gateway.RouteConfigurations.Single(r => r.Name == "rds_ingress_grpc_8443").VirtualHosts.Single().Routes.Single();
        Assert.Equal("""{"tags":[{"key":"TargetVirtualService","value":"greeter"}]}""", AggregateConfig(egressRoute.Metadata));
        Assert.Equal("""{"tags":[{"key":"TargetVirtualService","value":"greeter"}]}""", AggregateConfig(gatewayRoute.Metadata));

        // The local application's cluster and route have no target: App Mesh left them unstamped.
        Assert.Null(sidecar.Clusters.Single(c => c.Name == "cds_ingress_m_client_http_8080").Metadata);
        Assert.Null(sidecar.RouteConfigurations.Single(r => r.Name == "rds_ingress_http_8080").VirtualHosts.Single().Routes.Single().Metadata);
    }

    [Fact]
    public void AGatewayRouteWhoseServiceCannotBeServed_Answers503_CountedAgainstThatService()
    {
        // As a sidecar's route with no target left answers 503 under its service's stamp, so does a gateway route.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.5"}}}"""),
            new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualGateway", null, "edge", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"grpc"}}]}"""),
            new("gatewayRoute", "edge", "wrong-port", 1, """{"grpcRoute":{"match":{"serviceName":"greeter"},"action":{"target":{"virtualService":{"virtualServiceName":"greeter"},"port":9999}}}}"""),
        });

        var gateway = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("edge"));

        var route = gateway.RouteConfigurations.Single(r => r.Name == "rds_ingress_grpc_8443").VirtualHosts.Single().Routes.Single();
        Assert.Equal(503u, route.DirectResponse.Status);
        Assert.Equal("""{"tags":[{"key":"TargetVirtualService","value":"greeter"}]}""", AggregateConfig(route.Metadata));
    }

    [Fact]
    public void ProxylessResources_CarryNoAggregateStatsMetadata()
    {
        var resources = new MeshTranslator().Translate(Graph(null), ProxyTarget.Proxyless("greeter"));

        Assert.All(resources.Listeners, l => Assert.Null(l.Metadata));
        Assert.All(resources.Clusters, c => Assert.Null(c.Metadata));
        Assert.All(resources.RouteConfigurations.SelectMany(r => r.VirtualHosts).SelectMany(h => h.Routes), r => Assert.Null(r.Metadata));
    }

    private static string AggregateConfig(Envoy.Config.Core.V3.Metadata metadata) =>
        metadata.FilterMetadata["aws.appmesh.aggregate_stats"].Fields["config"].StringValue;

    private static IEnumerable<HttpConnectionManager> ConnectionManagers(ProxyResources resources) =>
        resources.Listeners.SelectMany(l => l.FilterChains.Append(l.DefaultFilterChain).OfType<FilterChain>().SelectMany(c => c.Filters).Select(f => f.TypedConfig)
                .Append(l.ApiListener?.ApiListener_))
            .Where(config => config is not null && config.Is(HttpConnectionManager.Descriptor))
            .Select(config => config!.Unpack<HttpConnectionManager>());
}
