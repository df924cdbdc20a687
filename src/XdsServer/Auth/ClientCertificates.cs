using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Auth;

/// <summary>
/// Reads the proxy identities a client certificate names. Each URI SAN may be the node's ARN
/// (<c>arn:aws:appmesh:&lt;region&gt;:&lt;account&gt;:mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c>) or a SPIFFE id whose path is the short form
/// (<c>spiffe://&lt;trust domain&gt;/mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c>, in the account <c>Mesh:AccountId</c>, or <c>mesh/&lt;m&gt;@&lt;owner&gt;/…</c>).
/// Other SANs are ignored.
/// </summary>
public static class ClientCertificates
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static IReadOnlyList<string> UriNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions[SubjectAlternativeNameOid];
        if (extension is null)
        {
            return [];
        }

        var uris = new List<string>();
        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            return [];
        }

        return uris;
    }

    public static IReadOnlyList<ProxyIdentity> Identities(X509Certificate2 certificate, ProxyIdentityParser parser)
    {
        var identities = new List<ProxyIdentity>();
        foreach (var uri in UriNames(certificate))
        {
            var nodeId = uri.StartsWith("spiffe://", StringComparison.Ordinal) && uri.IndexOf('/', "spiffe://".Length) is var slash and > 0
                ? uri[(slash + 1)..]
                : uri;
            if (parser.TryParse(nodeId, out var identity, out _))
            {
                identities.Add(identity);
            }
        }

        return identities;
    }

    /// <summary>Null when <paramref name="certificate"/> chains to one of <paramref name="authorities"/> and is valid now; otherwise why not.</summary>
    public static string? ChainProblem(X509Certificate2 certificate, X509Certificate2Collection authorities, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        if (chain.Build(certificate))
        {
            return null;
        }

        var reasons = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return $"the client certificate ({certificate.Subject}) is not valid for this server's client CA: {string.Join("; ", reasons)}";
    }
}
