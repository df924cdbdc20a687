using Mesh.Bootstrap;
using Mesh.Webhook.Tests.Support;

namespace Mesh.Webhook.Tests;

/// <summary>With <c>Webhook:AuthMode=MutualTls</c> the sidecar presents the certificate from its credentials Secret.</summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync(("Webhook:AuthMode", "MutualTls"));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TheSidecar_MountsItsCertificate_AndItsBootstrapUsesIt_WithoutSigV4()
    {
        var pod = AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"),
            ("mesh-proxy/credentials-secret", "cart-proxy-tls"));

        var outcome = await _server.ReviewAsync(pod);

        var patched = JsonPatch.Apply(pod, outcome.Patch!);
        var volumes = patched["spec"]!["volumes"]!.AsArray();
        Assert.Equal("cart-proxy-tls", volumes.Single(v => v!["name"]!.GetValue<string>() == "mesh-proxy-tls")!["secret"]!["secretName"]!.GetValue<string>());
        var envoy = patched["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "envoy")!;
        Assert.DoesNotContain(envoy["env"]!.AsArray(), e => e!["name"]!.GetValue<string>().StartsWith("AWS_", StringComparison.Ordinal));
        var expected = EnvoyBootstrap.ToYaml(new BootstrapOptions
        {
            NodeId = "mesh/shop/virtualNode/cart",
            Xds = new HostPort("mesh-xds.mesh-system.svc", 18000),
            Tls = new XdsTlsOptions
            {
                CaFile = "/etc/mesh/xds-ca/ca.crt",
                CertificateFile = "/etc/mesh/proxy-tls/tls.crt",
                PrivateKeyFile = "/etc/mesh/proxy-tls/tls.key",
            },
        });
        Assert.Equal(expected, envoy["args"]![1]!.GetValue<string>());
    }
}
