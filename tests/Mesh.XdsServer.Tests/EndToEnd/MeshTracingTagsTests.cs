using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Testing;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>
/// Per-mesh tracing as a user switches it on and off: <c>aws appmesh tag-resource</c> on the mesh, through the API
/// and PostgreSQL, followed by the xDS server's change feed, changes the listeners and clusters an Envoy sidecar
/// already holds, on its open stream.
/// </summary>
public sealed class MeshTracingTagsTests
{
    [Fact]
    public async Task TaggingTheMesh_PushesItsTracer_AndUntaggingTakesItAway()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var database = await server.CreateDatabaseAsync(TaskTimeouts.Token());
        await using var api = await ApiProcess.StartAsync(database);
        await using var xds = await XdsTestHost.StartAsync(database);
        var aws = new AwsCli(api);
        var arn = (await aws.AppMeshAsync("create-mesh", "--mesh-name", "demo"))!["mesh"]!["metadata"]!["arn"]!.GetValue<string>();
        await aws.AppMeshAsync("create-virtual-node", "--mesh-name", "demo", "--virtual-node-name", "web", "--spec",
            """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"10.0.0.1"}}}""");

        await using var envoy = AdsClient.Connect(xds.Channel, "mesh/demo/virtualNode/web");
        await envoy.SendAsync(TypeUrls.Cluster);
        await envoy.SendAsync(TypeUrls.Listener);
        var proxy = new ProxyView(envoy);
        await proxy.UntilAsync(() => proxy.Listeners is not null && proxy.Clusters is not null);
        Assert.Null(IngressTracing(proxy.Listeners!).Provider); // App Mesh's tracing: {}, the bootstrap's tracer if any

        await aws.AppMeshAsync("tag-resource", "--resource-arn", arn, "--tags",
            "key=mesh.tracing/provider,value=zipkin", "key=mesh.tracing/endpoint,value=zipkin.observability:9411", "key=mesh.tracing/sampling,value=10");

        await proxy.UntilAsync(() => IngressTracing(proxy.Listeners!).Provider is not null);
        var tracing = IngressTracing(proxy.Listeners!);
        Assert.Equal("envoy.tracers.zipkin", tracing.Provider.Name);
        Assert.Equal(10, tracing.RandomSampling.Value);
        Assert.Equal("mesh_tracing_collector", tracing.Provider.TypedConfig.Unpack<ZipkinConfig>().CollectorCluster);

        // xDS ordering: the cluster a listener's tracer names arrives before that listener.
        Assert.Contains("mesh_tracing_collector", proxy.Clusters!);

        await aws.AppMeshAsync("untag-resource", "--resource-arn", arn, "--tag-keys", "mesh.tracing/provider");

        await proxy.UntilAsync(() => IngressTracing(proxy.Listeners!).Provider is null && !proxy.Clusters!.Contains("mesh_tracing_collector"));
    }

    /// <summary>What an Envoy holds: the latest listeners and cluster names it was sent, each push ACKed as Envoy would.</summary>
    private sealed class ProxyView(AdsClient envoy)
    {
        public List<Listener>? Listeners { get; private set; }

        public List<string>? Clusters { get; private set; }

        /// <summary>Reads pushes until <paramref name="done"/> holds; each read fails the test after the default timeout.</summary>
        public async Task UntilAsync(Func<bool> done)
        {
            while (!done())
            {
                var response = await envoy.NextAsync();
                await envoy.AckAsync(response);
                if (response.TypeUrl == TypeUrls.Cluster)
                {
                    Clusters = AdsClient.Unpack<Cluster>(response).Select(c => c.Name).ToList();
                }
                else if (response.TypeUrl == TypeUrls.Listener)
                {
                    Listeners = AdsClient.Unpack<Listener>(response).ToList();
                }
            }
        }
    }

    private static HttpConnectionManager.Types.Tracing IngressTracing(IEnumerable<Listener> listeners) =>
        listeners.Single(l => l.Name == "lds_ingress_0.0.0.0_15000")
            .FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>().Tracing;
}
