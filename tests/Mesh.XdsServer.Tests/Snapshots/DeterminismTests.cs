using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>Versions are content hashes: a restarted server and a second replica answer byte for byte the same.</summary>
public sealed class DeterminismTests
{
    [Fact]
    public async Task A_Restarted_Server_And_A_Second_Replica_Serve_Identical_Responses()
    {
        var first = await FetchAllAsync();
        var restarted = await FetchAllAsync();

        await using var replicaA = await XdsTestHost.StartAsync();
        await using var replicaB = await XdsTestHost.StartAsync();
        var a = await FetchAllAsync(replicaA);
        var b = await FetchAllAsync(replicaB);

        Assert.Equal(first, restarted);
        Assert.Equal(first, a);
        Assert.Equal(a, b);
    }

    private static async Task<List<string>> FetchAllAsync(XdsTestHost? host = null)
    {
        if (host is null)
        {
            await using var own = await XdsTestHost.StartAsync();
            return await FetchAllAsync(own);
        }

        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        var seen = new List<string>();
        foreach (var (type, names) in new (string, string[])[]
        {
            (TypeUrls.Cluster, []),
            (TypeUrls.Endpoint, ["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"]),
            (TypeUrls.Listener, []),
            (TypeUrls.Route, ["rds_egress_http_9080", "rds_ingress_http_8080"]),
        })
        {
            await client.SendAsync(type, names);
            DiscoveryResponse response = await client.NextAsync();
            seen.Add($"{response.TypeUrl} {response.VersionInfo} {Convert.ToBase64String(response.Resources.SelectMany(r => r.Value.ToByteArray()).ToArray())}");
        }

        return seen;
    }
}
