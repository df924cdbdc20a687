using Mesh.Webhook.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Mesh.Webhook.Tests;

/// <summary>Settings that cannot work stop the host at start with one line naming the setting.</summary>
public sealed class HostingTests
{
    [Theory]
    [InlineData("Webhook:CertificatePath", "", "Webhook:CertificatePath and Webhook:KeyPath are required")]
    [InlineData("Webhook:CertificatePath", "/nonexistent/tls.crt", "Webhook:CertificatePath/KeyPath could not be read")]
    [InlineData("Webhook:Url", "http://0.0.0.0:8443", "Webhook:Url must be https://<IP address>:<port>, got 'http://0.0.0.0:8443'.")]
    [InlineData("Webhook:Xds", "mesh-xds", "Webhook:Xds must be host:port, got 'mesh-xds'.")]
    [InlineData("Webhook:AuthMode", "Kerberos", "Failed to convert configuration value 'Kerberos' at 'Webhook:AuthMode'")]
    [InlineData("Webhook:EnvoyLogLevel", "verbose", "Webhook:EnvoyLogLevel must be one of trace, debug, info, warning, warn, error, critical, off, got 'verbose'.")]
    [InlineData("Webhook:SdsSocketPath", "agent.sock", "Webhook:SdsSocketPath must be an absolute path to a socket, got 'agent.sock'.")]
    public void ASettingThatCannotWork_IsNamedAtStart(string key, string value, string message)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Webhook:CertificatePath"] = "/etc/mesh/webhook-tls/tls.crt";
        builder.Configuration["Webhook:KeyPath"] = "/etc/mesh/webhook-tls/tls.key";
        builder.Configuration[key] = value;

        var error = Assert.Throws<WebhookConfigurationException>(() => builder.AddWebhook());

        Assert.StartsWith(message, error.Message);
    }
}
