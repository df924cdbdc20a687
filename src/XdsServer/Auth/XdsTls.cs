using System.Security.Cryptography.X509Certificates;
using Mesh.XdsServer.Auth;
using Mesh.XdsServer.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Auth;

/// <summary>TLS on the gRPC port, and the start-up check that the configured authentication can work.</summary>
public static class XdsTls
{
    /// <summary>
    /// The server certificate from PEM files. With mTLS a client certificate is asked for but any is let through
    /// the handshake: <see cref="ProxyAuthenticator"/> checks it against the client CA, so a refusal is an
    /// UNAUTHENTICATED status that says why instead of a handshake failure that says nothing.
    /// </summary>
    public static HttpsConnectionAdapterOptions ServerOptions(XdsTlsOptions tls, ProxyAuthMode mode)
    {
        if (string.IsNullOrEmpty(tls.KeyPath))
        {
            throw new XdsConfigurationException("Xds:Tls:CertificatePath is set but Xds:Tls:KeyPath is not.");
        }

        return new HttpsConnectionAdapterOptions
        {
            ServerCertificate = X509Certificate2.CreateFromPemFile(tls.CertificatePath!, tls.KeyPath),
            ClientCertificateMode = mode == ProxyAuthMode.MutualTls ? ClientCertificateMode.AllowCertificate : ClientCertificateMode.NoCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        };
    }

    /// <summary>Fails the start when the mode cannot work, and logs the mode (a warning when authentication is off).</summary>
    public static void CheckAuthentication(IServiceProvider services, string authTransport)
    {
        var authenticator = services.GetRequiredService<ProxyAuthenticator>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.XdsServer.Auth");
        if (authenticator.Mode == ProxyAuthMode.SigV4 && services.GetService<IProxyKeyStore>() is null)
        {
            throw new XdsConfigurationException(
                "Xds:Auth:Mode is SigV4 (the default) but there are no access keys to check signatures with: set ConnectionStrings:Mesh and " +
                "Mesh:Auth:MasterKey (the API's), use Xds:Auth:Mode=MutualTls with Xds:Tls:*, or set Xds:Auth:Mode=None explicitly for local development.");
        }

        if (authenticator.Mode == ProxyAuthMode.None)
        {
            logger.AuthDisabled();
        }

        logger.AuthMode(authenticator.Mode, authTransport);
    }
}
