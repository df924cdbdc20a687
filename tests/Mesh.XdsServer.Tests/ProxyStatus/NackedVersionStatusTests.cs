using System.Net.Http.Json;
using Envoy.Admin.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.ProxyStatus;

/// <summary>
/// A NACK leaves the proxy on what it last ACKed (xDS: the client keeps its last good configuration), so proxy status
/// and CSDS go on showing that version beside the refused one: a proxy ACKs a route configuration, the route changes,
/// and it NACKs the new one. Proxy status must say NACKED, still on the version it ACKed (and when), with the refused
/// version as the last NACK; CSDS must give the route configuration the version the proxy runs, with the refused one
/// in its error state. Over SotW and delta alike; and for a delta removal the proxy refuses, the removed resource at the
/// version the proxy still runs, with the error.
/// </summary>
public sealed class NackedVersionStatusTests : IAsyncLifetime
{
    private const string Route = "rds_egress_http_9080";
    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Sotw_A_Nacked_Route_Change_Shows_The_Acked_Version_Still_Running()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Route, [Route]);
        var first = await client.NextAsync();
        await client.AckAsync(first, [Route]);
        await _host.ProcessedAsync(TypeUrls.Route, Route, ClientResourceStatus.Acked);
        var ackedAt = (await StatusAsync("ads")).LastAck;

        ChangeTheRoute();
        var refused = await client.NextAsync();
        await client.NackAsync(refused, first.VersionInfo, "bad route", [Route]);
        await _host.ProcessedAsync(TypeUrls.Route, Route, ClientResourceStatus.Nacked);

        var rds = await StatusAsync("ads");
        Assert.Equal("NACKED", rds.Sync);
        Assert.Equal((1, 1), (rds.Resources, rds.Acked));
        Assert.Equal(first.VersionInfo, rds.AckedVersion);
        Assert.Equal(ackedAt, rds.LastAck);
        Assert.Equal((refused.VersionInfo, "code 3: bad route"), (rds.LastNack?.Version, rds.LastNack?.Error));
        await CsdsShowsAsync(first, refused);
    }

    [Fact]
    public async Task Delta_A_Nacked_Route_Change_Shows_The_Acked_Version_Still_Running()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Route, subscribe: [Route]);
        var first = await client.NextAsync();
        await client.AckAsync(first);
        await _host.ProcessedAsync(TypeUrls.Route, Route, ClientResourceStatus.Acked);
        var acked = await StatusAsync("ads-delta");

        ChangeTheRoute();
        var refused = await client.NextAsync();
        await client.NackAsync(refused, "bad route");
        await _host.ProcessedAsync(TypeUrls.Route, Route, ClientResourceStatus.Nacked);

        var rds = await StatusAsync("ads-delta");
        Assert.Equal("NACKED", rds.Sync);
        Assert.Equal((1, 1), (rds.Resources, rds.Acked));
        Assert.Equal(acked.AckedVersion, rds.AckedVersion);
        Assert.Equal(acked.LastAck, rds.LastAck);
        Assert.NotNull(rds.LastNack);
        Assert.NotEqual(acked.AckedVersion, rds.LastNack.Version);

        // The refused version is not sent again; the next change is.
        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v1", 10), ("api-v2", 90)).Graph);
        var next = await client.NextAsync();
        Assert.NotEqual(refused.Resources.Single().Version, next.Resources.Single().Version);
    }

    [Fact]
    public async Task Delta_A_Nacked_Removal_Shows_The_Removed_Cluster_Still_Running_With_The_Error()
    {
        const string Billing = "cds_egress_demo_billing_grpc_7000";
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var added = await client.NextAsync();
        await client.AckAsync(added);
        await _host.ProcessedAsync(TypeUrls.Cluster, Billing, ClientResourceStatus.Acked);
        var acked = await StatusAsync("ads-delta", "cds");
        Assert.Equal((5, 5), (acked.Resources, acked.Acked));

        // The backend goes again; the proxy refuses the removal, so it still runs the cluster at the version it ACKed.
        _host.Producer.SetMesh(_mesh.Key, MeshRows.Demo().Graph);
        var removal = await client.NextAsync();
        Assert.Equal([Billing], removal.RemovedResources);
        await client.NackAsync(removal, "bad removal");
        await _host.ProcessedAsync(TypeUrls.Cluster, Billing, ClientResourceStatus.Nacked);

        var cds = await StatusAsync("ads-delta", "cds");
        Assert.Equal("NACKED", cds.Sync);
        Assert.Equal((5, 5), (cds.Resources, cds.Acked));
        Assert.Equal(acked.AckedVersion, cds.AckedVersion);
        Assert.Equal("code 3: bad removal", cds.LastNack?.Error);

        // CSDS: the version it runs, NACKED, and in the error state the refusal, which has no version (a removal).
        var billing = (await _host.ClientStatusAsync()).Config.Single().GenericXdsConfigs.Single(g => g.Name == Billing);
        Assert.Equal((ClientResourceStatus.Nacked, ConfigStatus.Error), (billing.ClientStatus, billing.ConfigStatus));
        Assert.Equal(added.Resources.Single().Version, billing.VersionInfo);
        Assert.Equal(("", "code 3: bad removal"), (billing.ErrorState.VersionInfo, billing.ErrorState.Details));
        Assert.True(billing.ErrorState.LastUpdateAttempt.ToDateTimeOffset() >= billing.LastUpdated.ToDateTimeOffset());

        // The refused removal is not sent again; the cluster sent again is the proxy's again.
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var again = await client.NextAsync();
        Assert.Equal([Billing], again.Resources.Select(r => r.Name));
        await client.AckAsync(again);
        await _host.ProcessedAsync(TypeUrls.Cluster, Billing, ClientResourceStatus.Acked);
        Assert.Equal("SYNCED", (await StatusAsync("ads-delta", "cds")).Sync);
    }

    private void ChangeTheRoute() =>
        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v1", 90), ("api-v2", 10)).Graph);

    private async Task<TypeStatus> StatusAsync(string variant, string type = "rds")
    {
        var report = await _host.Admin.GetFromJsonAsync<ProxyStatusReport>("/proxy-status", ProxyStatusJson.Options, TaskTimeouts.Token()).DefaultTimeout();
        return report!.Proxies.Single(p => p.Variant == variant).Types[type];
    }

    private async Task CsdsShowsAsync(DiscoveryResponse acked, DiscoveryResponse refused)
    {
        var route = (await _host.ClientStatusAsync()).Config.Single().GenericXdsConfigs.Single(g => g.Name == Route);
        Assert.Equal(ClientResourceStatus.Nacked, route.ClientStatus);
        Assert.Equal(Version(acked), route.VersionInfo);
        Assert.Equal(Version(refused), route.ErrorState.VersionInfo);
        Assert.Equal("code 3: bad route", route.ErrorState.Details);
    }

    /// <summary>The one route configuration's own version (what CSDS shows per resource): the hash of its bytes.</summary>
    private static string Version(DiscoveryResponse response) =>
        Hashing.Hex(System.Security.Cryptography.SHA256.HashData(response.Resources.Single().Value.Span), 16);
}
