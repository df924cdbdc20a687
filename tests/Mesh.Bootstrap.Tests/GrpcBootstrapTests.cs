using System.Text.Json.Nodes;

namespace Mesh.Bootstrap.Tests;

/// <summary>
/// <c>bootstrap --grpc</c> / <c>GET /envoy/bootstrap?grpc</c>: a proxyless gRPC application's xDS bootstrap. The real
/// clients and servers of tests/Mesh.XdsServer.Tests read the same bootstrap, so what gRPC accepts is tested there.
/// </summary>
public sealed class GrpcBootstrapTests
{
    private static (string Text, string MediaType) Render(params string[] args) =>
        BootstrapArguments.Render(BootstrapArguments.FromCommandLine(args), BootstrapOptions.DefaultXds, "us-east-1");

    [Fact]
    public void NamesTheServer_TheNode_AndTheServersListenerTemplate()
    {
        var (text, mediaType) = Render("--grpc", "--node", "mesh/demo/virtualNode/web", "--xds", "[::1]:18443");

        Assert.Equal("application/json", mediaType);
        var bootstrap = JsonNode.Parse(text)!;
        var server = Assert.Single(bootstrap["xds_servers"]!.AsArray())!;
        Assert.Equal("[::1]:18443", (string?)server["server_uri"]);
        Assert.Equal("insecure", (string?)Assert.Single(server["channel_creds"]!.AsArray())!["type"]);
        Assert.Equal(["xds_v3"], server["server_features"]!.AsArray().Select(f => (string?)f));
        Assert.Equal("mesh/demo/virtualNode/web", (string?)bootstrap["node"]!["id"]);
        Assert.Equal("mesh/demo/virtualNode/web", (string?)bootstrap["node"]!["cluster"]);
        Assert.Empty(bootstrap["node"]!["locality"]!.AsObject());
        Assert.Equal("grpc/server?xds.resource.listening_address=%s", (string?)bootstrap["server_listener_resource_name_template"]);
    }

    [Fact]
    public void DefinesTheCertificateProvidersItIsGiven_AsFileWatchers()
    {
        var text = GrpcBootstrap.ToJson(
            new BootstrapOptions { NodeId = "mesh/demo/virtualNode/web", Xds = BootstrapOptions.DefaultXds },
            [new("mesh-identity-1", "/c.pem", "/c.key", null), new("mesh-roots-2", null, null, "/ca.pem")]);

        var providers = JsonNode.Parse(text)!["certificate_providers"]!.AsObject();
        Assert.Equal(["mesh-identity-1", "mesh-roots-2"], providers.Select(p => p.Key));
        Assert.Equal(
            """{"plugin_name":"file_watcher","config":{"certificate_file":"/c.pem","private_key_file":"/c.key","refresh_interval":"60s"}}""",
            providers["mesh-identity-1"]!.ToJsonString());
        Assert.Equal(
            """{"plugin_name":"file_watcher","config":{"ca_certificate_file":"/ca.pem","refresh_interval":"60s"}}""",
            providers["mesh-roots-2"]!.ToJsonString());
        Assert.Null(JsonNode.Parse(Render("--grpc", "--node", "mesh/demo/virtualNode/web").Text)!["certificate_providers"]);
    }

    [Fact]
    public void TakesTheCluster()
    {
        var (text, _) = Render("--grpc", "--node", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", "--cluster", "web");

        Assert.Equal("web", (string?)JsonNode.Parse(text)!["node"]!["cluster"]);
        Assert.Equal("127.0.0.1:18000", (string?)JsonNode.Parse(text)!["xds_servers"]![0]!["server_uri"]);
    }

    [Theory]
    [InlineData("--delta", null, "'delta' does not apply to a gRPC bootstrap: only node, cluster and xds do.")]
    [InlineData("--tracing", "zipkin", "'tracing' does not apply to a gRPC bootstrap: only node, cluster and xds do.")]
    [InlineData("--format", "yaml", "A gRPC bootstrap is JSON: leave format out, or set it to json.")]
    public void RefusesWhatItCannotHonour(string setting, string? value, string message)
    {
        string[] args = ["--grpc", "--node", "mesh/demo/virtualNode/web", setting, .. value is null ? Array.Empty<string>() : [value]];

        Assert.Equal(message, Assert.Throws<ArgumentException>(() => Render(args)).Message);
    }

    [Fact]
    public void RefusesABadNode_AsTheEnvoyBootstrapDoes()
    {
        var error = Assert.Throws<ArgumentException>(() => Render("--grpc", "--node", "web"));

        Assert.Contains("node", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutGrpc_TheEnvoyBootstrapIsUnchanged()
    {
        var (text, mediaType) = Render("--node", "mesh/demo/virtualNode/web", "--format", "json");

        Assert.Equal("application/json", mediaType);
        Assert.Equal(EnvoyBootstrap.ToJson(new BootstrapOptions { NodeId = "mesh/demo/virtualNode/web" }), text);
    }
}
