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

    [Fact]
    public void A_Check_Sees_Nothing_Of_The_Checks_Before_It_On_The_Same_Thread()
    {
        // The name sets are kept per thread between checks: a clean configuration checked after a broken one (whose
        // names would hide its problems or add others if they stayed) gets exactly what it gets alone.
        var broken = ProxyResources.Empty with
        {
            Listeners = [Listener("lds", "rds_a")],
            RouteConfigurations = [Routes("rds_a", "cds_a"), Routes("rds_b", "cds_b")],
            Clusters = [Eds("cds_a"), Eds("cds_b")],
            ClusterLoadAssignments = [new ClusterLoadAssignment { ClusterName = "cds_a" }, new ClusterLoadAssignment { ClusterName = "cds_b" }],
        };
        var other = ProxyResources.Empty with
        {
            Listeners = [Listener("lds", "rds_b")],
            RouteConfigurations = [Routes("rds_b", "cds_a")],
        };
        string[] brokenProblems = ["route config rds_b is named by no listener"];
        string[] otherProblems = ["route config rds_b, route r: cluster cds_a is missing"];

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(brokenProblems, ResourceConsistency.Check(broken));
            Assert.Equal(otherProblems, ResourceConsistency.Check(other));
        }

        // And on many threads at once, each with its own sets.
        Parallel.For(0, 400, i => Assert.Equal(i % 2 == 0 ? brokenProblems : otherProblems, ResourceConsistency.Check(i % 2 == 0 ? broken : other)));
    }

    [Fact]
    public void An_Empty_Name_Is_Reported_Once_And_Still_Found_By_What_Names_It()
    {
        var resources = ProxyResources.Empty with
        {
            Listeners = [Listener("lds", "")],
            RouteConfigurations = [Routes("", "cds")],
            Clusters = [new Cluster { Name = "cds" }],
        };

        Assert.Equal(["a route config has no name"], ResourceConsistency.Check(resources));
    }

    [Fact]
    public void An_Assignment_Of_No_Cluster_Is_Reported_Even_When_As_Many_Clusters_Lack_Theirs()
    {
        var resources = ProxyResources.Empty with
        {
            Clusters = [Eds("cds_a")],
            ClusterLoadAssignments = [new ClusterLoadAssignment { ClusterName = "cds_b" }],
        };

        Assert.Equal(["cluster cds_a: EDS assignment cds_a is missing", "EDS assignment cds_b belongs to no EDS cluster"], ResourceConsistency.Check(resources));
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
