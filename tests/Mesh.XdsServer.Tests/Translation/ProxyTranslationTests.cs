using Mesh.EnvoyTesting;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Mesh.Translation;

namespace Mesh.XdsServer.Tests.Translation;

/// <summary>What the server needs from <see cref="MeshTranslator.TranslateProxy"/>: one proxy identity's whole configuration.</summary>
public sealed class ProxyTranslationTests
{
    private readonly MeshTranslator _translator = new();

    [Theory]
    [InlineData(ProxyKind.VirtualNode, "web")]
    [InlineData(ProxyKind.VirtualNode, "api-v1")]
    [InlineData(ProxyKind.VirtualGateway, "gw")]
    public void Builds_A_Consistent_Snapshot_That_Passes_The_Envoy_Validation_Rules(ProxyKind kind, string name)
    {
        var mesh = MeshRows.Demo().Gateway("gw", 9000).GatewayRoute("gw", "api", "/api", "api.demo.local");
        var resources = _translator.TranslateProxy(mesh.Graph, kind == ProxyKind.VirtualNode ? ProxyTarget.VirtualNode(name) : ProxyTarget.VirtualGateway(name));

        Assert.Empty(ResourceConsistency.Check(resources));
        var snapshot = SnapshotBuilder.Build(resources);
        var errors = resources.Listeners.Concat(resources.OnDemandListeners).Cast<IMessage>()
            .Concat(resources.RouteConfigurations).Concat(resources.Clusters).Concat(resources.ClusterLoadAssignments)
            .SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry))
            .ToList();

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.NotEmpty(snapshot[TypeUrls.Listener].Wildcard);
    }

    [Fact]
    public void Proxyless_Listeners_Are_On_Demand_Only_And_Never_Break_The_Sidecar_Config()
    {
        var mesh = MeshRows.Demo();
        var sidecarOnly = _translator.Translate(mesh.Graph, ProxyTarget.VirtualNode("web"));
        var resources = _translator.TranslateProxy(mesh.Graph, ProxyTarget.VirtualNode("web"));

        Assert.Empty(ResourceConsistency.Check(resources));
        Assert.Equal(["api.demo.local", "api.demo.local:9080"], resources.OnDemandListeners.Select(l => l.Name));
        Assert.All(resources.OnDemandListeners, l => Assert.NotNull(l.ApiListener));
        Assert.All(resources.Listeners, l => Assert.Null(l.ApiListener));

        // Whatever the proxyless part adds, the sidecar's own resources are exactly the full translator's.
        Assert.Equal(sidecarOnly.Listeners, resources.Listeners);
        Assert.Equal(sidecarOnly.Clusters, resources.Clusters);
    }

    [Fact]
    public void Clusters_Only_Proxyless_Clients_Dial_Are_On_Demand_And_Not_In_The_Envoy_Wildcard()
    {
        var resources = _translator.TranslateProxy(MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web"));
        var snapshot = SnapshotBuilder.Build(resources);

        Assert.Equal(["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"], resources.OnDemandClusters.Select(c => c.Name));
        Assert.DoesNotContain(snapshot[TypeUrls.Cluster].Wildcard, r => r.Name.StartsWith("cds_proxyless_", StringComparison.Ordinal));
        Assert.True(snapshot[TypeUrls.Cluster].ByName["cds_proxyless_demo_api-v1_http_9080"].OnDemandOnly);
    }

    [Fact]
    public void A_Sidecar_Route_To_An_On_Demand_Cluster_Is_Inconsistent()
    {
        // Envoy subscribes to CDS as a wildcard and would never get the cluster its route names.
        var resources = _translator.TranslateProxy(MeshRows.Demo().Graph, ProxyTarget.VirtualNode("web"));
        var egress = resources.Clusters.Single(c => c.Name == "cds_egress_demo_api-v1_http_9080");
        var broken = resources with { Clusters = resources.Clusters.Where(c => c != egress).ToList() };
        broken = broken with { OnDemandClusters = [.. broken.OnDemandClusters, egress] };

        Assert.Contains(ResourceConsistency.Check(broken), p => p.Contains("cluster cds_egress_demo_api-v1_http_9080 is missing", StringComparison.Ordinal));
        Assert.Empty(ResourceConsistency.Check(resources));
    }

    [Fact]
    public async Task The_Server_Serves_Envoy_The_Sidecar_Listeners_Without_The_Proxyless_Ones()
    {
        await using var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));

        await client.SendAsync(TypeUrls.Listener);
        var wildcard = AdsClient.Unpack<Listener>(await client.NextAsync());
        await client.SendAsync(TypeUrls.Cluster);
        Assert.NotEmpty((await client.NextAsync()).Resources);

        Assert.NotEmpty(wildcard);
        Assert.All(wildcard, l => Assert.Null(l.ApiListener));
    }
}
