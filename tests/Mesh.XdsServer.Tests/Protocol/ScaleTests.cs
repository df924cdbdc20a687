using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Xunit.Abstractions;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// Many proxies at once: one snapshot per identity however many proxies share it, each resource held once, and
/// one mesh change reaching every stream. Timings are printed for information only; nothing passes or fails on them.
/// </summary>
public sealed class ScaleTests(ITestOutputHelper output)
{
    private const int Nodes = 20;
    private const int ProxiesPerNode = 15;

    [Fact]
    public async Task Hundreds_Of_Streams_Share_Snapshots_And_All_Receive_A_Change()
    {
        await using var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        for (var i = 0; i < Nodes; i++)
        {
            mesh.Node($"client-{i}", $"10.1.0.{i}", 8080, "http", "api.demo.local", "billing.demo.local");
        }

        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clients = new List<AdsClient>();
        for (var i = 0; i < Nodes * ProxiesPerNode; i++)
        {
            var client = AdsClient.Connect(host.Channel, MeshRows.NodeId($"client-{i % Nodes}"));
            clients.Add(client);
            await client.SendAsync(TypeUrls.Cluster);
        }

        var first = await Task.WhenAll(clients.Select(c => c.NextAsync()));
        await Task.WhenAll(clients.Zip(first).Select(p => p.First.AckAsync(p.Second)));

        Assert.Equal(Nodes, host.Cache.WatchedIdentities);
        Assert.Equal(Nodes * ProxiesPerNode, host.Streams.Count);

        // Held once for all: 2 listeners, 4 proxyless listeners, 2 egress and 2 proxyless route configurations, 4
        // egress clusters (the allow-all one included), 3 proxyless (EDS) clusters and their 3 assignments. Per node:
        // its ingress route configuration and ingress cluster. (Unshared: 20 × 22.)
        Assert.Equal(20 + (2 * Nodes), host.Producer.InternedResources);

        host.Producer.SetMesh(mesh.Key, mesh.Node("api-v2", "127.0.0.2", 9081).Graph);
        var updates = await Task.WhenAll(clients.Select(c => c.NextAsync()));

        Assert.All(updates, u => Assert.Equal(TypeUrls.Cluster, u.TypeUrl));
        Assert.All(updates, u => Assert.Contains("cds_egress_demo_api-v2_http_9081", u.Resources.Select(r => r.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name)));
        output.WriteLine($"{clients.Count} streams, {Nodes} identities: every stream got its first config and the change");

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
