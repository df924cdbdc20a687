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
using Mesh.XdsServer.Translation;

namespace Mesh.XdsServer.Tests.Translation;

/// <summary>The full translation (issue 4) behind <see cref="IMeshTranslator"/>: what the server needs from it.</summary>
public sealed class MeshTranslationAdapterTests
{

    private readonly MeshTranslationAdapter _translator = new(new Mesh.Translation.MeshTranslator());

    [Theory]
    [InlineData(ProxyKind.VirtualNode, "web")]
    [InlineData(ProxyKind.VirtualNode, "api-v1")]
    [InlineData(ProxyKind.VirtualGateway, "gw")]
    public void Builds_A_Consistent_Snapshot_That_Passes_The_Envoy_Validation_Rules(ProxyKind kind, string name)
    {
        var mesh = MeshRows.Demo().Gateway("gw", 9000).GatewayRoute("gw", "api", "/api", "api.demo.local");
        var resources = _translator.Translate(mesh.Graph, new ProxyIdentity(mesh.Key, kind, name));

        var snapshot = SnapshotBuilder.Build(resources);
        var errors = resources.Listeners.Concat(resources.OnDemandListeners).Cast<IMessage>()
            .Concat(resources.Routes).Concat(resources.Clusters).Concat(resources.Endpoints)
            .SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry))
            .ToList();

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.NotEmpty(snapshot[TypeUrls.Listener].Wildcard);
    }

    [Fact]
    public void Proxyless_Listeners_Are_On_Demand_Only_And_Never_Break_The_Sidecar_Config()
    {
        var mesh = MeshRows.Demo();
        var sidecarOnly = new Mesh.Translation.MeshTranslator().Translate(mesh.Graph, Mesh.Translation.ProxyTarget.VirtualNode("web"));
        var resources = _translator.Translate(mesh.Graph, new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "web"));

        SnapshotBuilder.Build(resources);
        Assert.All(resources.OnDemandListeners, l => Assert.NotNull(l.ApiListener));
        Assert.All(resources.Listeners, l => Assert.Null(l.ApiListener));

        // Whatever the proxyless part adds, the sidecar's own resources are exactly the full translator's.
        Assert.Equal(sidecarOnly.Listeners, resources.Listeners);
        Assert.All(sidecarOnly.Clusters, c => Assert.Equal(c, resources.Clusters.Single(x => x.Name == c.Name)));
    }

    [Fact]
    public async Task Serves_Envoy_And_Proxyless_Clients_When_Selected_By_Configuration()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:Translator"] = "full" });
        var mesh = MeshRows.Demo();
        host.Cache.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));

        await client.SendAsync(TypeUrls.Listener);
        var wildcard = AdsClient.Unpack<Listener>(await client.NextAsync());
        await client.SendAsync(TypeUrls.Cluster);
        Assert.NotEmpty((await client.NextAsync()).Resources);

        Assert.NotEmpty(wildcard);
        Assert.All(wildcard, l => Assert.Null(l.ApiListener));
    }
}
