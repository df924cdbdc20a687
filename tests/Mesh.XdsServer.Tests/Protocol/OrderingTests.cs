using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// ADS ordering on an update that touches every type: CDS, EDS, LDS, RDS, and removals only after all additions
/// (xDS protocol, "Eventual consistency considerations": make before break).
/// </summary>
public sealed class OrderingTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>api-v2 is replaced by api-v3, and web gains the billing backend (a new listener chain and route configuration).</summary>
    private MeshRows Change() => _mesh
        .Node("api-v3", "127.0.0.4", 9080)
        .HttpRoute("api-router", "default", "/", ("api-v1", 50), ("api-v3", 50))
        .Delete("virtualNode", "", "api-v2")
        .Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local");

    [Fact]
    public async Task Sotw_Sends_Cds_Eds_Lds_Rds_Then_Drops_Stale_Clusters()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        string[] edsNames = ["cds_proxyless_demo_api-v1_http_9080", "cds_proxyless_demo_api-v2_http_9080"];
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Endpoint, edsNames);
        await client.AckAsync(await client.NextAsync(), edsNames);
        await client.SendAsync(TypeUrls.Listener);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Route, ["rds_egress_http_9080", "rds_ingress_http_8080"]);
        await client.AckAsync(await client.NextAsync(), ["rds_egress_http_9080", "rds_ingress_http_8080"]);
        await _host.ProcessedAsync(TypeUrls.Route, "rds_ingress_http_8080", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, Change().Graph);

        var responses = new List<Envoy.Service.Discovery.V3.DiscoveryResponse>();
        for (var i = 0; i < 5; i++)
        {
            responses.Add(await client.NextAsync());
        }

        Assert.Equal(
            [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route, TypeUrls.Cluster],
            responses.Select(r => r.TypeUrl));

        // Make: old and new clusters together. Break: only once everything else has moved.
        var union = AdsClient.Unpack<Cluster>(responses[0]).Select(c => c.Name).ToList();
        Assert.Contains("cds_egress_demo_api-v2_http_9080", union);
        Assert.Contains("cds_egress_demo_api-v3_http_9080", union);
        Assert.Contains("cds_egress_demo_billing_grpc_7000", union);
        var final = AdsClient.Unpack<Cluster>(responses[4]).Select(c => c.Name).ToList();
        Assert.DoesNotContain("cds_egress_demo_api-v2_http_9080", final);
        Assert.Contains("cds_egress_demo_api-v3_http_9080", final);
    }

    [Fact]
    public async Task Delta_Sends_Additions_In_Order_Then_Removals()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        foreach (var type in new[] { TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route })
        {
            await client.SendAsync(type, ["*"]);
            await client.AckAsync(await client.NextAsync());
        }

        await _host.ProcessedAsync(TypeUrls.Route, "rds_ingress_http_8080", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, Change().Graph);

        var responses = new List<Envoy.Service.Discovery.V3.DeltaDiscoveryResponse>();
        for (var i = 0; i < 6; i++)
        {
            responses.Add(await client.NextAsync());
        }

        Assert.Equal(
            [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route, TypeUrls.Cluster, TypeUrls.Endpoint],
            responses.Select(r => r.TypeUrl));
        Assert.All(responses.Take(4), r => Assert.Empty(r.RemovedResources));
        Assert.All(responses.Skip(4), r => Assert.Empty(r.Resources));
        Assert.Equal(["cds_egress_demo_api-v2_http_9080"], responses[4].RemovedResources);
        Assert.Equal(["cds_proxyless_demo_api-v2_http_9080"], responses[5].RemovedResources);
        Assert.Contains("rds_egress_grpc_7000", responses[3].Resources.Select(r => r.Name));
    }
}
