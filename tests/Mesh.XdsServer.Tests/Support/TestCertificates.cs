using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A throwaway PKI made in-process: a CA, a server certificate for 127.0.0.1, and client certificates with URI SANs.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string caName = "Mesh Test Proxy CA")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mesh-xds-tls-").FullName;
        var request = new CertificateRequest($"CN={caName}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CaPath = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaPath, Authority.ExportCertificatePem());

        var sans = new SubjectAlternativeNameBuilder();
        sans.AddIpAddress(IPAddress.Loopback);
        sans.AddDnsName("localhost");
        Server = Issue("CN=xds.test", sans, serverAuth: true);
        ServerCertificatePath = Path.Combine(Directory, "server.pem");
        ServerKeyPath = Path.Combine(Directory, "server.key");
        File.WriteAllText(ServerCertificatePath, Server.ExportCertificatePem());
        File.WriteAllText(ServerKeyPath, Server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public string Directory { get; }

    public X509Certificate2 Authority { get; }

    public string CaPath { get; }

    public X509Certificate2 Server { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    /// <summary>A client certificate whose URI SANs are <paramref name="uris"/>.</summary>
    public X509Certificate2 Client(string subject, params string[] uris)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (var uri in uris)
        {
            sans.AddUri(new Uri(uri));
        }

        return Issue($"CN={subject}", sans, serverAuth: false);
    }

    /// <summary>A client certificate for <paramref name="subject"/> with URI SAN <paramref name="uri"/>, written as PEM files: its paths.</summary>
    public (string Certificate, string Key) WriteClient(string subject, string uri)
    {
        using var client = Client(subject, uri);
        var (certificate, key) = (Path.Combine(Directory, subject + ".pem"), Path.Combine(Directory, subject + ".key"));
        File.WriteAllText(certificate, client.ExportCertificatePem());
        File.WriteAllText(key, client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificate, key);
    }

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder sans, bool serverAuth)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(sans.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        _caKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
