using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Translation;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Tests.Snapshots;

public sealed class SnapshotBuilderTests
{
    [Fact]
    public void The_Same_Resources_Always_Give_The_Same_Versions()
    {
        var a = SnapshotBuilder.Build(new MeshTranslator().TranslateProxy(Support.MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web")));
        var b = SnapshotBuilder.Build(new MeshTranslator().TranslateProxy(Support.MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web")));

        Assert.Equal(a.Version, b.Version);
        Assert.Equal(a.Resources.Select(r => (r.Name, r.Version)), b.Resources.Select(r => (r.Name, r.Version)));
    }

    [Fact]
    public void Versions_Follow_Content_Not_Order_Of_Creation()
    {
        var one = SnapshotBuilder.Build(Clusters(Static("a"), Static("b")));
        var two = SnapshotBuilder.Build(Clusters(Static("b"), Static("a")));
        var three = SnapshotBuilder.Build(Clusters(Static("a"), Static("b", 81)));

        Assert.Equal(one.Version, two.Version);
        Assert.NotEqual(one.Version, three.Version);
        Assert.Equal(one[TypeUrls.Cluster].ByName["a"].Version, three[TypeUrls.Cluster].ByName["a"].Version);
    }

    [Fact]
    public void On_Demand_Listeners_Are_Left_Out_Of_The_Wildcard()
    {
        var resources = new MeshTranslator().TranslateProxy(Support.MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web"));

        var listeners = SnapshotBuilder.Build(resources)[TypeUrls.Listener];

        Assert.Equal(resources.Listeners.Select(l => l.Name).Order(StringComparer.Ordinal), listeners.Wildcard.Select(l => l.Name));
        Assert.All(resources.OnDemandListeners, l => Assert.True(listeners.ByName[l.Name].OnDemandOnly));
    }

    [Fact]
    public void Each_Set_Holds_Its_Resources_In_Name_Order_And_Its_Wildcard_Without_The_On_Demand_Ones()
    {
        var resources = new MeshTranslator().TranslateProxy(Support.MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web"));
        Assert.NotEmpty(resources.OnDemandListeners);

        var snapshot = SnapshotBuilder.Build(resources);

        foreach (var (type, wildcard, onDemand) in new (string, IEnumerable<string>, IEnumerable<string>)[]
        {
            (TypeUrls.Listener, resources.Listeners.Select(l => l.Name), resources.OnDemandListeners.Select(l => l.Name)),
            (TypeUrls.Route, resources.RouteConfigurations.Select(r => r.Name), []),
            (TypeUrls.Cluster, resources.Clusters.Select(c => c.Name), resources.OnDemandClusters.Select(c => c.Name)),
            (TypeUrls.Endpoint, resources.ClusterLoadAssignments.Select(e => e.ClusterName), []),
            (TypeUrls.Secret, resources.Secrets.Select(s => s.Name), []),
        })
        {
            var set = snapshot[type];
            Assert.Equal(wildcard.Concat(onDemand).Order(StringComparer.Ordinal), set.All.Select(r => r.Name));
            Assert.Equal(wildcard.Order(StringComparer.Ordinal), set.Wildcard.Select(r => r.Name));
            Assert.Equal(Hashing.VersionOf(set.All.Select(r => (r.Name, r.Version)).ToList()), set.AllVersion);
            Assert.Equal(Hashing.VersionOf(set.Wildcard.Select(r => (r.Name, r.Version)).ToList()), set.WildcardVersion);
            if (!onDemand.Any())
            {
                Assert.Same(set.All, set.Wildcard); // one list, not a copy, when nothing is on demand
            }
        }
    }

    private static ProxyResources Clusters(params Cluster[] clusters) => ProxyResources.Empty with { Clusters = clusters };

    private static Cluster Static(string name, int port = 80) => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Static,
        LoadAssignment = new ClusterLoadAssignment { ClusterName = name, Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = new Envoy.Config.Core.V3.Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.1", PortValue = (uint)port } } } } } } } },
    };
}
