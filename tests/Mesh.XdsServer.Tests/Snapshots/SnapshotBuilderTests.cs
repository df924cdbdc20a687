using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Translation;
using Listener = Envoy.Config.Listener.V3.Listener;

namespace Mesh.XdsServer.Tests.Snapshots;

public sealed class SnapshotBuilderTests
{
    [Fact]
    public void Reports_Every_Dangling_Or_Unreachable_Reference_At_Once()
    {
        var resources = new ProxyResources
        {
            Listeners = [EnvoyBuildersAccess.Listener("lds", "rds_missing")],
            Routes = [EnvoyBuildersAccess.Routes("rds_orphan", "cds_missing")],
            Clusters = [EnvoyBuildersAccess.Eds("cds_eds"), EnvoyBuildersAccess.Eds("cds_eds")],
            Endpoints = [new ClusterLoadAssignment { ClusterName = "eds_orphan" }],
        };

        var error = Assert.Throws<InconsistentSnapshotException>(() => SnapshotBuilder.Build(resources));

        Assert.Equal(
            [
                "cds: cds_eds appears more than once",
                "listener lds chain c filter hcm: route configuration rds_missing is not in RDS",
                "route configuration rds_orphan is named by no listener",
                "route configuration rds_orphan virtual host vh: cluster cds_missing is not in CDS",
                "cluster cds_eds: endpoints cds_eds are not in EDS",
                "cluster cds_eds: endpoints cds_eds are not in EDS",
                "endpoints eds_orphan belong to no EDS cluster",
            ],
            error.Errors);
    }

    [Fact]
    public void The_Same_Resources_Always_Give_The_Same_Versions()
    {
        var mesh = Support.MeshRows.Demo();
        var identity = new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "web");
        var a = SnapshotBuilder.Build(new BasicMeshTranslator().Translate(mesh.Graph, identity));
        var b = SnapshotBuilder.Build(new BasicMeshTranslator().Translate(Support.MeshRows.Demo().Graph, identity));

        Assert.Equal(a.Version, b.Version);
        Assert.Equal(a.Resources.Select(r => (r.Name, r.Version)), b.Resources.Select(r => (r.Name, r.Version)));
    }

    [Fact]
    public void Versions_Follow_Content_Not_Order_Of_Creation()
    {
        var one = SnapshotBuilder.Build(new ProxyResources { Clusters = [EnvoyBuildersAccess.Static("a"), EnvoyBuildersAccess.Static("b")] });
        var two = SnapshotBuilder.Build(new ProxyResources { Clusters = [EnvoyBuildersAccess.Static("b"), EnvoyBuildersAccess.Static("a")] });
        var three = SnapshotBuilder.Build(new ProxyResources { Clusters = [EnvoyBuildersAccess.Static("a"), EnvoyBuildersAccess.Static("b", 81)] });

        Assert.Equal(one.Version, two.Version);
        Assert.NotEqual(one.Version, three.Version);
        Assert.Equal(one[Mesh.XdsServer.Resources.TypeUrls.Cluster].ByName["a"].Version, three[Mesh.XdsServer.Resources.TypeUrls.Cluster].ByName["a"].Version);
    }

    /// <summary>Envoy shapes for these tests, built the way the translator builds them.</summary>
    private static class EnvoyBuildersAccess
    {
        public static Listener Listener(string name, string rds)
        {
            var listener = new Listener { Name = name };
            var chain = new Envoy.Config.Listener.V3.FilterChain { Name = "c" };
            chain.Filters.Add(new Envoy.Config.Listener.V3.Filter
            {
                Name = "hcm",
                TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager
                {
                    StatPrefix = "x",
                    Rds = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.Rds { RouteConfigName = rds },
                }),
            });
            listener.FilterChains.Add(chain);
            return listener;
        }

        public static RouteConfiguration Routes(string name, string cluster)
        {
            var host = new VirtualHost { Name = "vh", Domains = { "*" } };
            host.Routes.Add(new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } });
            return new RouteConfiguration { Name = name, VirtualHosts = { host } };
        }

        public static Cluster Eds(string name) => new() { Name = name, Type = Cluster.Types.DiscoveryType.Eds };

        public static Cluster Static(string name, int port = 80) => new()
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Static,
            LoadAssignment = new ClusterLoadAssignment { ClusterName = name, Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = new Envoy.Config.Core.V3.Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.1", PortValue = (uint)port } } } } } } } },
        };
    }
}
