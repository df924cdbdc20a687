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

    /// <summary>
    /// web stops listening and calls billing instead of api: its inbound listener and its api clusters, endpoints and
    /// route configuration go. Removals go referrers first (xDS, "Eventual consistency considerations": a cluster
    /// is removed only once nothing refers to it), so no listener is left naming a cluster that is gone.
    /// </summary>
    private MeshRows StopListeningAndCallBilling() => _mesh.Put(
        "virtualNode",
        "",
        "web",
        """{"listeners":[],"serviceDiscovery":{"dns":{"hostname":"10.0.0.1"}},"backends":[{"virtualService":{"virtualServiceName":"billing.demo.local"}}]}""");

    [Fact]
    public async Task Sotw_Removes_Listeners_Before_Clusters()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Listener);
        await client.AckAsync(await client.NextAsync());
        await _host.ProcessedAsync(TypeUrls.Listener, "lds_ingress_0.0.0.0_15000", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, StopListeningAndCallBilling().Graph);

        var responses = new List<Envoy.Service.Discovery.V3.DiscoveryResponse>();
        for (var i = 0; i < 4; i++)
        {
            responses.Add(await client.NextAsync());
        }

        Assert.Equal([TypeUrls.Cluster, TypeUrls.Listener, TypeUrls.Listener, TypeUrls.Cluster], responses.Select(r => r.TypeUrl));
        Assert.Contains("lds_ingress_0.0.0.0_15000", AdsClient.Unpack<Envoy.Config.Listener.V3.Listener>(responses[1]).Select(l => l.Name));
        Assert.DoesNotContain("lds_ingress_0.0.0.0_15000", AdsClient.Unpack<Envoy.Config.Listener.V3.Listener>(responses[2]).Select(l => l.Name));
        Assert.DoesNotContain("cds_egress_demo_api-v1_http_9080", AdsClient.Unpack<Cluster>(responses[3]).Select(c => c.Name));
    }

    [Fact]
    public async Task Delta_Removes_Listeners_Routes_Clusters_Then_Endpoints()
    {
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        foreach (var type in new[] { TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route })
        {
            await client.SendAsync(type, ["*"]);
            await client.AckAsync(await client.NextAsync());
        }

        await _host.ProcessedAsync(TypeUrls.Route, "rds_ingress_http_8080", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, StopListeningAndCallBilling().Graph);

        var responses = new List<Envoy.Service.Discovery.V3.DeltaDiscoveryResponse>();
        while (responses.Count == 0 || responses[^1].TypeUrl != TypeUrls.Endpoint || responses[^1].RemovedResources.Count == 0)
        {
            responses.Add(await client.NextAsync());
        }

        var removals = responses.Where(r => r.RemovedResources.Count > 0).ToList();
        Assert.Equal([TypeUrls.Listener, TypeUrls.Route, TypeUrls.Cluster, TypeUrls.Endpoint], removals.Select(r => r.TypeUrl));
        Assert.Equal(removals, responses.Skip(responses.Count - removals.Count));
        Assert.Contains("lds_ingress_0.0.0.0_15000", removals[0].RemovedResources);
        Assert.Contains("cds_egress_demo_api-v1_http_9080", removals[2].RemovedResources);
    }

    /// <summary>
    /// A cluster whose endpoints come by EDS warms after a change until its endpoints arrive (xDS, "Resource warming":
    /// the server is expected to answer EDS meanwhile). An Envoy without an endpoint cache asks again with the same
    /// names and version, which reads as an ACK; so the endpoints follow the changed cluster even when unchanged, with
    /// their version, and a change to another cluster sends none.
    /// </summary>
    [Fact]
    public async Task Sotw_A_Changed_Eds_Cluster_Is_Followed_By_Its_Endpoints_Even_When_They_Did_Not_Change()
    {
        var mesh = CloudMapCaller();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Endpoint, [CloudMapEndpoints]);
        var endpoints = await client.NextAsync();
        await client.AckAsync(endpoints, [CloudMapEndpoints]);
        await _host.ProcessedAsync(TypeUrls.Endpoint, CloudMapEndpoints, Envoy.Admin.V3.ClientResourceStatus.Acked);

        // billing is a DNS cluster: its change sends the clusters alone.
        mesh = mesh.Node("billing", "10.0.0.4", 7000, "grpc");
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        await client.AckAsync(clusters);

        _host.Producer.SetMesh(mesh.Key, WithOutlierDetection(mesh).Graph);
        clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.NotNull(AdsClient.Unpack<Cluster>(clusters).Single(c => c.Name == CloudMapEndpoints).OutlierDetection);
        var again = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, again.TypeUrl);
        Assert.Equal(endpoints.VersionInfo, again.VersionInfo);
        Assert.Equal([CloudMapEndpoints], AdsClient.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>(again).Select(a => a.ClusterName));
    }

    /// <summary>The same rule on a delta stream: the unchanged endpoints come again, at the version the client holds.</summary>
    [Fact]
    public async Task Delta_A_Changed_Eds_Cluster_Is_Followed_By_Its_Endpoints_Even_When_They_Did_Not_Change()
    {
        var mesh = CloudMapCaller();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, ["*"]);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Endpoint, [CloudMapEndpoints]);
        var endpoints = await client.NextAsync();
        await client.AckAsync(endpoints);
        await _host.ProcessedAsync(TypeUrls.Endpoint, CloudMapEndpoints, Envoy.Admin.V3.ClientResourceStatus.Acked);

        mesh = mesh.Node("billing", "10.0.0.4", 7000, "grpc");
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        await client.AckAsync(clusters);

        _host.Producer.SetMesh(mesh.Key, WithOutlierDetection(mesh).Graph);
        clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.Equal([CloudMapEndpoints], clusters.Resources.Select(r => r.Name));
        var again = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, again.TypeUrl);
        Assert.Equal(endpoints.Resources.Select(r => (r.Name, r.Version)), again.Resources.Select(r => (r.Name, r.Version)));
    }

    /// <summary>
    /// Endpoints the client refused are not sent again when their cluster changes (a refused version is never re-sent,
    /// as on a SotW stream): the next response after the clusters is the next change's.
    /// </summary>
    [Fact]
    public async Task Delta_Refused_Endpoints_Are_Not_Sent_Again_When_Their_Cluster_Changes()
    {
        var mesh = CloudMapCaller();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = DeltaAdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster, ["*"]);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Endpoint, [CloudMapEndpoints]);
        await client.NackAsync(await client.NextAsync(), "endpoints rejected by test");
        await _host.ProcessedAsync(TypeUrls.Endpoint, CloudMapEndpoints, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        mesh = WithOutlierDetection(mesh);
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clusters = await client.NextAsync();
        Assert.Equal([CloudMapEndpoints], clusters.Resources.Select(r => r.Name));
        await client.AckAsync(clusters);

        // billing is a DNS cluster: its change sends the clusters alone, and they are what comes next.
        _host.Producer.SetMesh(mesh.Key, mesh.Node("billing", "10.0.0.4", 7000, "grpc").Graph);
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, next.TypeUrl);
    }

    /// <summary>The same on a SotW stream: refused endpoints do not follow their changed cluster.</summary>
    [Fact]
    public async Task Sotw_Refused_Endpoints_Are_Not_Sent_Again_When_Their_Cluster_Changes()
    {
        var mesh = CloudMapCaller();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        await client.SendAsync(TypeUrls.Endpoint, [CloudMapEndpoints]);
        await client.NackAsync(await client.NextAsync(), "", "endpoints rejected by test", [CloudMapEndpoints]);
        await _host.ProcessedAsync(TypeUrls.Endpoint, CloudMapEndpoints, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        mesh = WithOutlierDetection(mesh);
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        await client.AckAsync(clusters);

        _host.Producer.SetMesh(mesh.Key, mesh.Node("billing", "10.0.0.4", 7000, "grpc").Graph);
        var next = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, next.TypeUrl);
    }

    /// <summary>
    /// A refusal holds for the response refused only: endpoints sent since, not answered yet, follow their changed
    /// cluster again (the client may have taken them for the cluster it had before).
    /// </summary>
    [Fact]
    public async Task Sotw_Endpoints_Sent_After_A_Refusal_Follow_Their_Changed_Cluster()
    {
        const string billingEndpoints = "cds_proxyless_demo_billing_grpc_7000";
        var mesh = CloudMapCaller();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());
        string[] names = [CloudMapEndpoints, billingEndpoints];
        await client.SendAsync(TypeUrls.Endpoint, names);
        var refused = await client.NextAsync();
        Assert.Equal(2, refused.Resources.Count);
        await client.NackAsync(refused, "", "endpoints rejected by test", names);
        await _host.ProcessedAsync(TypeUrls.Endpoint, CloudMapEndpoints, Envoy.Admin.V3.ClientResourceStatus.Nacked);

        // billing moves: its cluster and its endpoints change; the endpoints are left unanswered.
        mesh = mesh.Node("billing", "10.0.0.4", 7000, "grpc");
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await client.AckAsync(await client.NextAsync());
        var endpoints = await client.NextAsync();
        Assert.Equal(TypeUrls.Endpoint, endpoints.TypeUrl);
        Assert.NotEqual(refused.VersionInfo, endpoints.VersionInfo);

        mesh = WithOutlierDetection(mesh);
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var clusters = await client.NextAsync();
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        var again = await client.NextAsync();
        Assert.Equal((TypeUrls.Endpoint, endpoints.VersionInfo), (again.TypeUrl, again.VersionInfo));
    }

    private const string CloudMapEndpoints = "cds_egress_demo_api_http_8080";

    private const string CloudMapApi = """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}OUTLIER}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns.local","serviceName":"api"}}}""";

    /// <summary>web calls api, whose endpoints come from Cloud Map (an EDS cluster), and billing, found by DNS.</summary>
    private static MeshRows CloudMapCaller() => new MeshRows()
        .Put("virtualNode", "", "api", CloudMapApi.Replace("OUTLIER", "", StringComparison.Ordinal))
        .ServiceByNode("api.demo.local", "api")
        .Node("billing", "10.0.0.3", 7000, "grpc")
        .ServiceByNode("billing.demo.local", "billing")
        .Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local");

    /// <summary>api's listener gains outlier detection, which changes its callers' cluster of it and not its endpoints.</summary>
    private static MeshRows WithOutlierDetection(MeshRows mesh) => mesh.Put("virtualNode", "", "api", CloudMapApi.Replace(
        "OUTLIER",
        ""","outlierDetection":{"maxServerErrors":5,"interval":{"unit":"s","value":10},"baseEjectionDuration":{"unit":"s","value":30},"maxEjectionPercent":50}""",
        StringComparison.Ordinal));

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
