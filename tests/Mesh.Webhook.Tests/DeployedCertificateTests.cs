using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Mesh.Deploy.Tests.Support;
using Mesh.Webhook.Tests.Support;

namespace Mesh.Webhook.Tests;

/// <summary>
/// The certificate deploy/kubernetes/make-secrets.sh makes for the webhook, served by the webhook host, checked the
/// way the API server checks it: against the caBundle the overlay patches into the MutatingWebhookConfiguration, for
/// the Service name mesh-webhook.mesh-system.svc.
/// </summary>
public sealed class DeployedCertificateTests : IAsyncLifetime
{
    private const string ServiceName = "mesh-webhook.mesh-system.svc";
    private readonly string _overlay = Directory.CreateTempSubdirectory("mesh-webhook-overlay-").FullName;
    private WebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        await Command.RunCheckedAsync(Repository.PathOf("deploy/kubernetes/make-secrets.sh"), ["--try-it", _overlay]);
        var secrets = Path.Combine(_overlay, "secrets");
        var caBundle = CaBundleFromPatch(await File.ReadAllTextAsync(Path.Combine(secrets, "webhook-ca-bundle.yaml")));

        var handler = new SocketsHttpHandler
        {
            // The URL names the Service (that name goes into SNI and the certificate check); the socket goes to the host.
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { caBundle },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        _server = await WebhookServer.StartAsync(
            Path.Combine(secrets, "webhook-tls.crt"), Path.Combine(secrets, "webhook-tls.key"), handler,
            address => new Uri($"https://{ServiceName}:{address.Port}"), folderToDelete: null);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_overlay, recursive: true);
    }

    [Fact]
    public async Task TheWebhook_IsTrustedThroughTheCaBundle_UnderItsServiceName()
    {
        var outcome = await _server.ReviewAsync(AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart")));

        Assert.True(outcome.Allowed);
        Assert.NotNull(outcome.Patch);
    }

    [Fact]
    public async Task UnderAnotherName_TheCertificateIsRejected()
    {
        var port = _server.Client.BaseAddress!.Port;

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => _server.Client.GetAsync($"https://mesh-webhook.other.svc:{port}/healthz"));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(failure.InnerException);
    }

    // make-secrets.sh writes "- op: add / path: .../caBundle / value: <base64 PEM>".
    private static X509Certificate2 CaBundleFromPatch(string patch)
    {
        var value = patch.Split('\n').Single(l => l.TrimStart().StartsWith("value: ", StringComparison.Ordinal)).Trim()["value: ".Length..];
        return X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(value)));
    }
}
