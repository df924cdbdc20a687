using Envoy.Service.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Grpc.Core;
using Mesh.Security;
using Mesh.XdsServer.Auth;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>
/// Xds:Auth:Mode=SigV4: a proxy signs its calls as Envoy's aws_iam gRPC credentials do, with a key allowed
/// appmesh:StreamAggregatedResources on its own node, and gets that node's configuration and nothing else.
/// </summary>
public sealed class SigV4ProxyAuthTests : IAsyncLifetime
{
    private const string Account = MeshRows.Account;
    private static readonly string WebArn = $"arn:aws:appmesh:us-east-1:{Account}:mesh/demo/virtualNode/web";

    private readonly InMemoryKeys _keys = new();
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _keys.Add("MKIAWEBPROXY", "web-secret", Account, KeyPolicy.Proxy(WebArn));
        _keys.Add("MKIAADMIN", "admin-secret", Account, KeyPolicy.Admin);
        _keys.Add("MKIAOTHERACCOUNT", "other-secret", "444455556666", KeyPolicy.Admin);
        _host = await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Xds:Auth:Mode"] = "SigV4" },
            services: s => s.AddSingleton<IProxyKeyStore>(_keys));
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Metadata Signed(string keyId, string secret, string path = EnvoySigner.AdsPath, DateTimeOffset? at = null) =>
        EnvoySigner.Sign(_host.GrpcUri.Authority, path, keyId, secret, at);

    private AdsClient Ads(Metadata? headers, string nodeId) =>
        AdsClient.Connect(new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_host.Channel).StreamAggregatedResources(headers), nodeId);

    [Fact]
    public async Task A_Proxy_Key_Streams_Its_Own_Node_By_Short_Form_And_By_Arn()
    {
        foreach (var nodeId in new[] { MeshRows.NodeId("web"), WebArn })
        {
            await using var client = Ads(Signed("MKIAWEBPROXY", "web-secret"), nodeId);
            await client.SendAsync(TypeUrls.Cluster);
            var cds = await client.NextAsync();
            Assert.Equal(4, cds.Resources.Count);
        }
    }

    [Fact]
    public async Task A_Proxy_Key_Is_Refused_Another_Node_With_Permission_Denied()
    {
        await using var client = Ads(Signed("MKIAWEBPROXY", "web-secret"), MeshRows.NodeId("api-v1"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.PermissionDenied, closed.StatusCode);
        Assert.Contains("MKIAWEBPROXY is not allowed appmesh:StreamAggregatedResources on arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/api-v1", closed.Status.Detail);
        Assert.DoesNotContain(_host.Streams.Streams, s => s.Identity?.Name == "api-v1");
    }

    [Fact]
    public async Task A_Key_Of_Another_Account_Is_Refused_With_Permission_Denied()
    {
        await using var client = Ads(Signed("MKIAOTHERACCOUNT", "other-secret"), MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.PermissionDenied, closed.StatusCode);
        Assert.Contains("belongs to account 444455556666", closed.Status.Detail);
    }

    [Fact]
    public async Task An_Unsigned_Stream_Is_Refused_With_Unauthenticated()
    {
        await using var client = Ads(null, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains(AuthFailure.MissingToken, closed.Status.Detail);
    }

    [Fact]
    public async Task A_Tampered_Signature_Is_Refused_With_Unauthenticated()
    {
        var headers = Signed("MKIAWEBPROXY", "web-secret");
        var authorization = headers.Get("authorization")!.Value;
        var last = authorization[^1];
        headers.Remove(headers.Get("authorization")!);
        headers.Add("authorization", authorization[..^1] + (last == '0' ? '1' : '0'));
        await using var client = Ads(headers, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains(AuthFailure.InvalidSignature, closed.Status.Detail);
    }

    [Theory]
    [InlineData("wrong-secret", null, AuthFailure.InvalidSignature)]
    [InlineData("web-secret", "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters", AuthFailure.InvalidSignature)]
    [InlineData("web-secret", "expired", "Signature expired")]
    public async Task A_Wrong_Secret_Another_Path_Or_An_Old_Signature_Is_Refused(string secret, string? path, string expected)
    {
        var headers = path == "expired"
            ? Signed("MKIAWEBPROXY", secret, at: DateTimeOffset.UtcNow.AddMinutes(-20))
            : Signed("MKIAWEBPROXY", secret, path ?? EnvoySigner.AdsPath);
        await using var client = Ads(headers, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains(expected, closed.Status.Detail);
    }

    [Fact]
    public async Task An_Unknown_Or_Revoked_Key_Is_Refused_With_Unauthenticated()
    {
        await using var client = Ads(Signed("MKIANOSUCHKEY", "x"), MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains(AuthFailure.UnrecognizedClient, closed.Status.Detail);
    }

    [Fact]
    public async Task Delta_And_Per_Type_Services_Obey_The_Same_Rules()
    {
        var ads = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_host.Channel);
        await using (var own = DeltaAdsClient.Connect(ads.DeltaAggregatedResources(Signed("MKIAWEBPROXY", "web-secret", "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources")), MeshRows.NodeId("web")))
        {
            await own.SendAsync(TypeUrls.Cluster);
            Assert.Equal(4, (await own.NextAsync()).Resources.Count);
        }

        const string cdsPath = "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters";
        var cds = new ClusterDiscoveryService.ClusterDiscoveryServiceClient(_host.Channel);
        await using (var other = AdsClient.Connect(cds.StreamClusters(Signed("MKIAWEBPROXY", "web-secret", cdsPath)), MeshRows.NodeId("api-v1")))
        {
            await other.SendAsync(TypeUrls.Cluster);
            Assert.Equal(StatusCode.PermissionDenied, (await other.ClosedAsync()).StatusCode);
        }

        const string fetchPath = "/envoy.service.cluster.v3.ClusterDiscoveryService/FetchClusters";
        var ownFetch = await cds.FetchClustersAsync(Request("web"), Signed("MKIAWEBPROXY", "web-secret", fetchPath)).ResponseAsync.DefaultTimeout();
        Assert.Equal(4, ownFetch.Resources.Count);
        var denied = await Assert.ThrowsAsync<RpcException>(() =>
            cds.FetchClustersAsync(Request("api-v1"), Signed("MKIAWEBPROXY", "web-secret", fetchPath)).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        var unsigned = await Assert.ThrowsAsync<RpcException>(() => cds.FetchClustersAsync(Request("web")).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, unsigned.StatusCode);

        static DiscoveryRequest Request(string node) => new() { TypeUrl = TypeUrls.Cluster, Node = new() { Id = MeshRows.NodeId(node) } };
    }

    [Fact]
    public async Task Csds_Shows_Each_Caller_Only_The_Proxies_It_May_Describe()
    {
        await using var web = Ads(Signed("MKIAWEBPROXY", "web-secret"), MeshRows.NodeId("web"));
        await web.SendAsync(TypeUrls.Cluster);
        await web.NextAsync();
        await using var api = Ads(Signed("MKIAADMIN", "admin-secret"), MeshRows.NodeId("api-v1"));
        await api.SendAsync(TypeUrls.Cluster);
        await api.NextAsync();

        const string csdsPath = "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus";
        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(_host.Channel);
        var admin = await csds.FetchClientStatusAsync(new ClientStatusRequest(), Signed("MKIAADMIN", "admin-secret", csdsPath)).ResponseAsync.DefaultTimeout();
        Assert.Equal([MeshRows.NodeId("api-v1"), MeshRows.NodeId("web")], admin.Config.Select(c => c.Node.Id).Order());

        // The proxy key allows only StreamAggregatedResources: it may not describe even itself.
        var proxy = await csds.FetchClientStatusAsync(new ClientStatusRequest(), Signed("MKIAWEBPROXY", "web-secret", csdsPath)).ResponseAsync.DefaultTimeout();
        Assert.Empty(proxy.Config);
        var other = await csds.FetchClientStatusAsync(new ClientStatusRequest(), Signed("MKIAOTHERACCOUNT", "other-secret", csdsPath)).ResponseAsync.DefaultTimeout();
        Assert.Empty(other.Config);
        var unsigned = await Assert.ThrowsAsync<RpcException>(() => csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, unsigned.StatusCode);
    }

    private sealed class InMemoryKeys : IProxyKeyStore
    {
        private readonly Dictionary<string, ActiveKey> _keys = [];

        public void Add(string id, string secret, string account, KeyPolicy policy) => _keys[id] = new ActiveKey(id, secret, account, policy);

        public Task<ActiveKey?> FindActiveAsync(string accessKeyId, CancellationToken cancellationToken) => Task.FromResult(_keys.GetValueOrDefault(accessKeyId));
    }
}
