using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Translation.Tests.Translation;

public sealed class ResourceConsistencyTests
{
    [Fact]
    public void Reports_Every_Dangling_Or_Unreachable_Reference_At_Once()
    {
        var resources = ProxyResources.Empty with
        {
            Listeners = [Listener("lds", "rds_missing")],
            OnDemandListeners = [Listener("lds", "rds_orphan")],
            RouteConfigurations = [Routes("rds_orphan", "cds_missing"), Routes("rds_unnamed", "cds_eds")],
            Clusters = [Eds("cds_eds"), Eds("cds_eds")],
            ClusterLoadAssignments = [new ClusterLoadAssignment { ClusterName = "eds_orphan" }],
        };

        Assert.Equal(
            [
                "listener lds appears more than once",
                "cluster cds_eds appears more than once",
                "listener lds: route config rds_missing is missing",
                "route config rds_orphan, route r: cluster cds_missing is missing",
                "route config rds_unnamed is named by no listener",
                "cluster cds_eds: EDS assignment cds_eds is missing",
                "cluster cds_eds: EDS assignment cds_eds is missing",
                "EDS assignment eds_orphan belongs to no EDS cluster",
            ],
            ResourceConsistency.Check(resources));
    }

    [Fact]
    public void A_Whole_Proxy_Configuration_With_Its_On_Demand_Listeners_Is_Consistent()
    {
        var graph = Mesh.Model.Graph.MeshGraph.Build(new Mesh.Model.Graph.MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"greeter"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"127.0.0.1"}}}"""),
            new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().TranslateProxy(graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(["greeter", "greeter:50051"], resources.OnDemandListeners.Select(l => l.Name));
        Assert.Empty(ResourceConsistency.Check(resources));
    }

    private static Listener Listener(string name, string rds) => new()
    {
        Name = name,
        FilterChains =
        {
            new FilterChain
            {
                Name = "c",
                Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(new HttpConnectionManager { StatPrefix = "x", Rds = new Rds { RouteConfigName = rds } }) } },
            },
        },
    };

    private static RouteConfiguration Routes(string name, string cluster) => new()
    {
        Name = name,
        VirtualHosts = { new VirtualHost { Name = "vh", Domains = { "*" }, Routes = { new Route { Name = "r", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } } } } },
    };

    private static Cluster Eds(string name) => new() { Name = name, Type = Cluster.Types.DiscoveryType.Eds };
}
