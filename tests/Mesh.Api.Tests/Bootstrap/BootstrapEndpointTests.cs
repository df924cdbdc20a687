using System.Net;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Bootstrap;

namespace Mesh.Api.Tests.Bootstrap;

/// <summary>
/// <c>GET /envoy/bootstrap</c> on the running API host: unsigned (it is outside the SigV4 API and holds no secrets),
/// the same bytes as the library and the command for the same settings, and a 400 that names the mistake.
/// </summary>
public sealed class BootstrapEndpointTests(ApiServer server) : IClassFixture<ApiServer>
{
    private HttpClient Unsigned() => new() { BaseAddress = server.BaseAddress };

    [Fact]
    public async Task Bootstrap_NeedsNoSignature_AndDefaultsToTheLocalXdsServer()
    {
        using var client = Unsigned();
        using var response = await client.GetAsync("/envoy/bootstrap?node=mesh/demo/virtualNode/web-v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType!.MediaType);
        var expected = EnvoyBootstrap.ToYaml(new BootstrapOptions { NodeId = "mesh/demo/virtualNode/web-v1", Xds = BootstrapOptions.DefaultXds });
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bootstrap_TakesTheCommandsSettingsAsQueryParameters()
    {
        var arn = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualGateway/edge";
        using var client = Unsigned();
        var body = await client.GetStringAsync(
            $"/envoy/bootstrap?node={Uri.EscapeDataString(arn)}&xds=xds:18000&delta&admin-port=9902&tracing=zipkin&tracing-address=zipkin:9411");

        var expected = EnvoyBootstrap.ToYaml(new BootstrapOptions
        {
            NodeId = arn,
            Xds = new HostPort("xds", 18000),
            Delta = true,
            AdminPort = 9902,
            Tracing = new TracingOptions { Provider = TracingProvider.Zipkin, Collector = new HostPort("zipkin", 9411) },
        });
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task Bootstrap_AsJson()
    {
        using var client = Unsigned();
        using var response = await client.GetAsync("/envoy/bootstrap?node=mesh/demo/virtualNode/web-v1&format=json");

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("mesh/demo/virtualNode/web-v1", json["node"]!["id"]!.GetValue<string>());
        Assert.Equal("GRPC", json["dynamic_resources"]!["ads_config"]!["api_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bootstrap_ForAProxylessGrpcApplication()
    {
        using var client = Unsigned();
        using var response = await client.GetAsync("/envoy/bootstrap?node=mesh/demo/virtualNode/web-v1&grpc&xds=xds:18000");

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var expected = GrpcBootstrap.ToJson(new BootstrapOptions { NodeId = "mesh/demo/virtualNode/web-v1", Xds = new HostPort("xds", 18000) });
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bootstrap_ForAProxylessGrpcApplication_DefinesTheCertificateProvidersOfTheNodesTlsFiles()
    {
        var mesh = await MeshBuilder.CreateAsync(server);
        var spec = JsonNode.Parse("""
            {"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"},"tls":{"mode":"STRICT",
              "certificate":{"file":{"certificateChain":"/certs/server.pem","privateKey":"/certs/server.key"}},
              "validation":{"trust":{"file":{"certificateChain":"/certs/ca.pem"}}}}}],
             "backendDefaults":{"clientPolicy":{"tls":{"certificate":{"sds":{"secretName":"spiffe://td/web"}},
               "validation":{"trust":{"file":{"certificateChain":"/certs/ca.pem"}}}}}},
             "serviceDiscovery":{"dns":{"hostname":"api.local"}}}
            """)!.AsObject();
        await mesh.NodeAsync("api", spec);
        using var client = Unsigned();

        var text = await client.GetStringAsync($"/envoy/bootstrap?grpc&node=mesh/{mesh.Mesh}/virtualNode/api");

        // One identity (the listener's files), one set of roots (shared by the listener and the client policy); the
        // policy's SDS certificate has no gRPC counterpart, so none for it.
        var providers = JsonNode.Parse(text)!["certificate_providers"]!.AsObject();
        var identity = Mesh.Model.Identity.GrpcCertificateProviders.IdentityName("/certs/server.pem", "/certs/server.key");
        var roots = Mesh.Model.Identity.GrpcCertificateProviders.RootsName("/certs/ca.pem");
        Assert.Equal(new[] { identity, roots }.Order(StringComparer.Ordinal), providers.Select(p => p.Key));
        Assert.Equal("file_watcher", (string?)providers[identity]!["plugin_name"]);
        Assert.Equal("/certs/server.pem", (string?)providers[identity]!["config"]!["certificate_file"]);
        Assert.Equal("/certs/server.key", (string?)providers[identity]!["config"]!["private_key_file"]);
        Assert.Equal("/certs/ca.pem", (string?)providers[roots]!["config"]!["ca_certificate_file"]);
        Assert.Equal(GrpcBootstrap.CertificateRefreshInterval, (string?)providers[roots]!["config"]!["refresh_interval"]);

        // A node that does not exist (yet) gets the plaintext bootstrap; so does a gateway (never sent TLS contexts).
        var missing = JsonNode.Parse(await client.GetStringAsync($"/envoy/bootstrap?grpc&node=mesh/{mesh.Mesh}/virtualNode/nobody"))!;
        Assert.Null(missing["certificate_providers"]);
        var gateway = JsonNode.Parse(await client.GetStringAsync($"/envoy/bootstrap?grpc&node=mesh/{mesh.Mesh}/virtualGateway/api"))!;
        Assert.Null(gateway["certificate_providers"]);

        // The short form's account is the installation's; an ARN's is its own, where no such mesh is.
        var owned = JsonNode.Parse(await client.GetStringAsync($"/envoy/bootstrap?grpc&node={Uri.EscapeDataString($"arn:aws:appmesh:us-east-1:444455556666:mesh/{mesh.Mesh}/virtualNode/api")}"))!;
        Assert.Null(owned["certificate_providers"]);
        var same = JsonNode.Parse(await client.GetStringAsync($"/envoy/bootstrap?grpc&node={Uri.EscapeDataString($"arn:aws:appmesh:us-east-1:111122223333:mesh/{mesh.Mesh}/virtualNode/api")}"))!;
        Assert.Equal(2, same["certificate_providers"]!.AsObject().Count);
    }

    [Theory]
    [InlineData("/envoy/bootstrap?node=mesh/demo/virtualNode/web&grpc&admin-port=9902", "'admin-port' does not apply to a gRPC bootstrap")]
    [InlineData("/envoy/bootstrap", "node is empty (missing)")]
    [InlineData("/envoy/bootstrap?node=mesh/demo/virtualRouter/web", "only a virtualNode or virtualGateway")]
    [InlineData("/envoy/bootstrap?node=mesh/demo/virtualNode/web&colour=red", "Unknown setting 'colour'")]
    [InlineData("/envoy/bootstrap?node=mesh/demo/virtualNode/web&sigv4", "needs TLS")]
    [InlineData("/envoy/bootstrap?node=mesh/demo/virtualNode/web&delta=maybe", "switch")]
    public async Task Mistakes_AreABadRequestSayingWhat(string path, string reason)
    {
        using var client = Unsigned();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignedApi_StaysSigned()
    {
        // The bootstrap endpoint being open does not open anything under /v20190125.
        using var client = Unsigned();
        using var response = await client.GetAsync("/v20190125/meshes");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
