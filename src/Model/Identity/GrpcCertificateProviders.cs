using System.Security.Cryptography;
using System.Text;
using Mesh.Model.Specs;

namespace Mesh.Model.Identity;

/// <summary>One <c>file_watcher</c> certificate provider instance of a gRPC bootstrap: an identity (certificate and key), or roots.</summary>
public sealed record GrpcCertificateProvider(string Name, string? CertificateFile, string? PrivateKeyFile, string? CaCertificateFile);

/// <summary>
/// gRPC takes xDS TLS only from certificate provider instances its bootstrap defines (gRFC A29), which xDS resources
/// then name. Mesh names an instance after the files it reads, so the xDS server (which names it in a listener's or
/// cluster's TLS context) and the bootstrap (which defines it) agree without sharing anything but the virtual node's
/// spec: <see cref="IdentityName"/> for a certificate with its key, <see cref="RootsName"/> for a CA bundle. App Mesh's
/// <c>file</c> certificates and trusts map onto these; <c>sds</c> and <c>acm</c> ones have no gRPC counterpart.
/// </summary>
public static class GrpcCertificateProviders
{
    /// <summary>The instance that serves the certificate in <paramref name="chain"/> with the key in <paramref name="key"/>.</summary>
    public static string IdentityName(string chain, string key) => "mesh-identity-" + Digest(chain, key);

    /// <summary>The instance that serves the CA certificates in <paramref name="caBundle"/>.</summary>
    public static string RootsName(string caBundle) => "mesh-roots-" + Digest(caBundle);

    /// <summary>
    /// The instances a proxyless application standing for a virtual node with <paramref name="spec"/> may be sent: its
    /// listeners' file certificates and file trusts (xDS-enabled servers), and its client policies' (the node's
    /// backend defaults and each backend's own), each once, ordered by name.
    /// </summary>
    public static IReadOnlyList<GrpcCertificateProvider> For(VirtualNodeSpec spec)
    {
        var providers = new SortedDictionary<string, GrpcCertificateProvider>(StringComparer.Ordinal);
        foreach (var tls in (spec.Listeners ?? []).Select(l => l.Tls).OfType<ListenerTls>())
        {
            AddIdentity(providers, tls.Certificate.File);
            AddRoots(providers, tls.Validation?.Trust.File);
        }

        var policies = (spec.Backends ?? []).Select(b => b.VirtualService?.ClientPolicy).Append(spec.BackendDefaults?.ClientPolicy);
        foreach (var tls in policies.Select(p => p?.Tls).OfType<ClientPolicyTls>())
        {
            AddIdentity(providers, tls.Certificate?.File);
            AddRoots(providers, tls.Validation.Trust.File);
        }

        return [.. providers.Values];
    }

    private static void AddIdentity(SortedDictionary<string, GrpcCertificateProvider> providers, ListenerTlsFileCertificate? file)
    {
        if (file is not null)
        {
            var name = IdentityName(file.CertificateChain, file.PrivateKey);
            providers.TryAdd(name, new GrpcCertificateProvider(name, file.CertificateChain, file.PrivateKey, null));
        }
    }

    private static void AddRoots(SortedDictionary<string, GrpcCertificateProvider> providers, TlsValidationContextFileTrust? file)
    {
        if (file is not null)
        {
            var name = RootsName(file.CertificateChain);
            providers.TryAdd(name, new GrpcCertificateProvider(name, null, null, file.CertificateChain));
        }
    }

    /// <summary>
    /// 16 hex digits of the paths' SHA-256, each path followed by a NUL (which no path holds), so that no two lists
    /// of paths meet: a readable name would have to escape whatever a path may hold, and gets long.
    /// </summary>
    private static string Digest(params string[] paths)
    {
        var text = new StringBuilder();
        foreach (var path in paths)
        {
            text.Append(path).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }
}
