using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>
/// Xds:Auth:Mode=MutualTls: the gRPC port serves TLS, and a proxy's client certificate (issued by Xds:Tls:ClientCaPath)
/// names its node as a URI SAN, either the ARN or spiffe://&lt;trust domain&gt;/mesh/&lt;m&gt;/virtualNode/&lt;n&gt;.
/// </summary>
public sealed class MutualTlsProxyAuthTests : IAsyncLifetime
{
    private readonly TestCertificates _pki = new();
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:Auth:Mode"] = "MutualTls",
            ["Xds:Tls:CertificatePath"] = _pki.ServerCertificatePath,
            ["Xds:Tls:KeyPath"] = _pki.ServerKeyPath,
            ["Xds:Tls:ClientCaPath"] = _pki.CaPath,
        });
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _pki.Dispose();
    }

    /// <summary>A channel that trusts only the test CA's server certificate and presents <paramref name="client"/>.</summary>
    private GrpcChannel Channel(X509Certificate2? client)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _pki.Server.GetCertHashString(),
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client!,
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
            },
        };
        if (client is null)
        {
            handler.SslOptions.LocalCertificateSelectionCallback = null;
        }

        Assert.Equal("https", _host.GrpcUri.Scheme);
        return GrpcChannel.ForAddress(_host.GrpcUri, new GrpcChannelOptions { HttpHandler = handler });
    }

    private static AdsClient Ads(GrpcChannel channel, string nodeId) =>
        AdsClient.Connect(new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources(), nodeId);

    [Theory]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web")]
    [InlineData("spiffe://mesh.test/mesh/demo/virtualNode/web")]
    public async Task A_Certificate_Naming_The_Node_Streams_Its_Configuration(string san)
    {
        using var certificate = _pki.Client("web", san);
        using var channel = Channel(certificate);
        await using var client = Ads(channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var cds = await client.NextAsync();
        Assert.Equal(4, cds.Resources.Count);
    }

    [Fact]
    public async Task A_Certificate_For_Another_Node_Is_Refused_With_Permission_Denied()
    {
        using var certificate = _pki.Client("web", "spiffe://mesh.test/mesh/demo/virtualNode/web");
        using var channel = Channel(certificate);
        await using var client = Ads(channel, MeshRows.NodeId("api-v1"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.PermissionDenied, closed.StatusCode);
        Assert.Contains("names 111122223333:mesh/demo/virtualNode/web, not 111122223333:mesh/demo/virtualNode/api-v1", closed.Status.Detail);
    }

    [Fact]
    public async Task No_Certificate_Is_Refused_With_Unauthenticated()
    {
        using var channel = Channel(null);
        await using var client = Ads(channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains("requires a client certificate", closed.Status.Detail);
    }

    [Fact]
    public async Task A_Certificate_From_Another_Ca_Is_Refused_With_Unauthenticated()
    {
        using var otherPki = new TestCertificates("Some Other CA");
        using var certificate = otherPki.Client("web", "spiffe://mesh.test/mesh/demo/virtualNode/web");
        using var channel = Channel(certificate);
        await using var client = Ads(channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains("not valid for this server's client CA", closed.Status.Detail);
    }

    [Fact]
    public async Task A_Certificate_Without_A_Node_Uri_Is_Refused_With_Unauthenticated()
    {
        using var certificate = _pki.Client("web", "https://example.com/web");
        using var channel = Channel(certificate);
        await using var client = Ads(channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains("no URI SAN naming a virtual node", closed.Status.Detail);
    }

    [Fact]
    public async Task Csds_Over_Mtls_Shows_A_Proxy_Only_Itself()
    {
        using var webCertificate = _pki.Client("web", "spiffe://mesh.test/mesh/demo/virtualNode/web");
        using var apiCertificate = _pki.Client("api", "spiffe://mesh.test/mesh/demo/virtualNode/api-v1");
        using var webChannel = Channel(webCertificate);
        using var apiChannel = Channel(apiCertificate);
        await using var web = Ads(webChannel, MeshRows.NodeId("web"));
        await web.SendAsync(TypeUrls.Cluster);
        await web.NextAsync();
        await using var api = Ads(apiChannel, MeshRows.NodeId("api-v1"));
        await api.SendAsync(TypeUrls.Cluster);
        await api.NextAsync();

        var status = await new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(webChannel)
            .FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(MeshRows.NodeId("web"), Assert.Single(status.Config).Node.Id);
    }
}
