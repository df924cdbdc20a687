using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Mesh.Model.Identity;
using Mesh.Model.Resources;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// TLS contexts (docs/envoy-mapping.md §3 "TLS"). File certificates are read by Envoy from disk; SDS certificates come
/// from the local SDS server (SPIRE) through the bootstrap's <see cref="EnvoyNames.SdsUnixSocketCluster"/>;
/// ACM certificates and ACM Private CA trust would be SDS secrets over ADS named by their ARN, which this control
/// plane cannot issue, so such contexts fail closed (the secret never arrives) and a warning says so.
/// </summary>
internal static class Tls
{
    private const string TransportSocketName = "envoy.transport_sockets.tls";

    public static TransportSocket Socket(Google.Protobuf.IMessage context) =>
        new() { Name = TransportSocketName, TypedConfig = Protos.Pack(context) };

    public static DownstreamTlsContext Downstream(Specs.ListenerTls tls, Specs.PortProtocol protocol, string where, TranslationContext context)
    {
        var common = new CommonTlsContext();
        common.AlpnProtocols.AddRange(Alpn(protocol));
        var certificate = tls.Certificate;
        if (certificate.File is { } file)
        {
            common.TlsCertificates.Add(new TlsCertificate
            {
                CertificateChain = Protos.File(file.CertificateChain),
                PrivateKey = Protos.File(file.PrivateKey),
            });
        }
        else if (certificate.Sds is { } sds)
        {
            common.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = sds.SecretName, SdsConfig = Protos.LocalSds() });
        }
        else if (certificate.Acm is { } acm)
        {
            var secret = AcmSecretName(acm.CertificateArn);
            // The secret never arrives, and an SDS config source waits for it only for its initial fetch timeout (15 s
            // by default): then the listener warms all the same, with a TLS chain that has no certificate.
            var plaintext = tls.Mode == Specs.ListenerTlsMode.Permissive ? " (its plaintext connections are still served)" : "";
            context.Warn(WarningKind.CertificateUndeliverable, $"{where}: ACM certificate {acm.CertificateArn} cannot be issued by this control plane, so the SDS secret '{secret}' the listener asks for never arrives: "
                + $"after Envoy's initial fetch timeout (15 s) the listener comes up without a certificate and refuses every TLS handshake{plaintext}; use a file or SDS certificate");
            common.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = secret, SdsConfig = Protos.Ads() });
        }

        var result = new DownstreamTlsContext { CommonTlsContext = common };
        if (tls.Validation is { } validation)
        {
            // A listener validation context is what makes the TLS mutual ([UG] mutual-tls): the listener asks for the
            // client's certificate and checks any it is given. STRICT refuses a client without one. PERMISSIVE takes
            // plaintext, and so takes TLS without a client certificate too: App Mesh's plaintext-to-mTLS migration
            // configures the server's validation while its clients still reach it by TLS without certificates, and
            // only then gives them theirs ([UG] mutual-tls, "Migrate services to mutual TLS authentication").
            result.RequireClientCertificate = tls.Mode == Specs.ListenerTlsMode.Strict;
            var sans = validation.SubjectAlternativeNames?.Match.Exact ?? [];
            if (validation.Trust.File is { } fileTrust)
            {
                common.ValidationContext = Validation(Protos.File(fileTrust.CertificateChain), sans);
            }
            else if (validation.Trust.Sds is { } sdsTrust)
            {
                common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = Validation(null, sans),
                    ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = sdsTrust.SecretName, SdsConfig = Protos.LocalSds() },
                };
            }
        }

        return result;
    }

    /// <summary>
    /// The client side. With a client policy: present its certificate (mTLS) and validate the server against its
    /// trust and SANs; when the policy names no SANs, the server must carry <paramref name="defaultSans"/>
    /// (its DNS hostname or Cloud Map <c>service.namespace</c>). Without one, originate TLS but do not validate,
    /// which is what App Mesh did for file and SDS server certificates.
    /// </summary>
    public static UpstreamTlsContext Upstream(Specs.ClientPolicyTls? policy, string? sni, IReadOnlyList<string> defaultSans, Specs.PortProtocol protocol, string where, TranslationContext context)
    {
        var common = new CommonTlsContext();
        if (protocol is Specs.PortProtocol.Http2 or Specs.PortProtocol.Grpc)
        {
            common.AlpnProtocols.Add("h2");
        }

        var result = new UpstreamTlsContext { CommonTlsContext = common };
        if (!string.IsNullOrEmpty(sni) && !IpLiteral.TryParse(sni, out _))
        {
            // SNI names a host; an IP address is not sent in it (RFC 6066, section 3).
            result.Sni = sni;
        }

        if (policy is null)
        {
            return result;
        }

        if (policy.Certificate?.File is { } file)
        {
            common.TlsCertificates.Add(new TlsCertificate
            {
                CertificateChain = Protos.File(file.CertificateChain),
                PrivateKey = Protos.File(file.PrivateKey),
            });
        }
        else if (policy.Certificate?.Sds is { } sds)
        {
            common.TlsCertificateSdsSecretConfigs.Add(new SdsSecretConfig { Name = sds.SecretName, SdsConfig = Protos.LocalSds() });
        }

        var sans = policy.Validation.SubjectAlternativeNames?.Match.Exact is { Count: > 0 } exact ? (IReadOnlyList<string>)exact : defaultSans;
        var trust = policy.Validation.Trust;
        if (trust.File is { } fileTrust)
        {
            common.ValidationContext = Validation(Protos.File(fileTrust.CertificateChain), sans);
        }
        else
        {
            string name;
            ConfigSource source;
            if (trust.Sds is { } sdsTrust)
            {
                (name, source) = (sdsTrust.SecretName, Protos.LocalSds());
            }
            else
            {
                var arns = trust.Acm?.CertificateAuthorityArns ?? [];
                name = AcmSecretName(string.Join(",", arns));
                source = Protos.Ads();
                context.Warn(WarningKind.CertificateUndeliverable, $"{where}: ACM Private CA trust ({name}) cannot be served by this control plane, so the SDS secret '{name}' the cluster validates with never arrives: "
                    + "after Envoy's initial fetch timeout (15 s) the cluster comes up without it and every TLS connection through it fails; use a file or SDS trust");
            }

            common.CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = Validation(null, sans),
                ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = name, SdsConfig = source },
            };
        }

        return result;
    }

    /// <summary>
    /// A proxyless gRPC client's side (gRFC A29): the client policy's file trust with its SANs (or
    /// <paramref name="defaultSans"/>), and its file certificate for mutual TLS, each as the certificate provider
    /// instance Mesh's gRPC bootstrap defines for those files (<see cref="GrpcCertificateProviders"/>); gRPC reads SANs
    /// from <c>match_subject_alt_names</c> only. Null, with <paramref name="unusable"/> saying why, when the policy holds
    /// what gRPC cannot take (an SDS or ACM trust, an SDS certificate): the client then has no way to the listener
    /// rather than one without the TLS its policy asks for.
    /// </summary>
    public static UpstreamTlsContext? ProxylessUpstream(Specs.ClientPolicyTls policy, IReadOnlyList<string> defaultSans, out string? unusable)
    {
        unusable = null;
        var trust = policy.Validation.Trust;
        if (trust.File is not { } fileTrust)
        {
            unusable = $"the client policy's {(trust.Sds is not null ? "SDS" : "ACM")} trust cannot be given to proxyless gRPC clients (they take file trusts only), so their calls to it fail";
            return null;
        }

        var common = new CommonTlsContext();
        if (policy.Certificate?.Sds is not null)
        {
            unusable = "the client policy's SDS certificate cannot be given to proxyless gRPC clients (they take file certificates only), so their calls to it fail";
            return null;
        }

        if (policy.Certificate?.File is { } file)
        {
            common.TlsCertificateProviderInstance = ProviderInstance(GrpcCertificateProviders.IdentityName(file.CertificateChain, file.PrivateKey));
        }

        var validation = new CertificateValidationContext { CaCertificateProviderInstance = ProviderInstance(GrpcCertificateProviders.RootsName(fileTrust.CertificateChain)) };
        var sans = policy.Validation.SubjectAlternativeNames?.Match.Exact is { Count: > 0 } exact ? (IReadOnlyList<string>)exact : defaultSans;
        foreach (var san in sans)
        {
            // Deprecated for Envoy (match_typed_subject_alt_names), but the only SAN field gRPC reads.
#pragma warning disable CS0612
            validation.MatchSubjectAltNames.Add(new StringMatcher { Exact = san });
#pragma warning restore CS0612
        }

        common.ValidationContext = validation;
        return new UpstreamTlsContext { CommonTlsContext = common };
    }

    /// <summary>
    /// An xDS-enabled gRPC server's side of a STRICT listener (gRFC A29): its file certificate, and for mutual TLS its
    /// file trust, as certificate provider instances (<see cref="GrpcCertificateProviders"/>). Null when gRPC cannot
    /// serve the listener as App Mesh defines it: an SDS or ACM certificate or trust, or client SANs to check, which
    /// gRPC servers do not match; the listener is then not offered at all rather than offered with less checking, and
    /// <paramref name="notOffered"/> says why.
    /// </summary>
    public static DownstreamTlsContext? ProxylessDownstream(Specs.ListenerTls tls, out string? notOffered)
    {
        notOffered = null;
        if (tls.Certificate.File is not { } file)
        {
            notOffered = $"its certificate is {(tls.Certificate.Sds is not null ? "SDS" : "ACM")}, and gRPC servers take file certificates only";
            return null;
        }

        var common = new CommonTlsContext { TlsCertificateProviderInstance = ProviderInstance(GrpcCertificateProviders.IdentityName(file.CertificateChain, file.PrivateKey)) };
        var result = new DownstreamTlsContext { CommonTlsContext = common };
        if (tls.Validation is { } validation)
        {
            if (validation.Trust.File is not { } fileTrust)
            {
                notOffered = "its validation trust is SDS, and gRPC servers take file trusts only";
                return null;
            }

            if (validation.SubjectAlternativeNames?.Match.Exact is { Count: > 0 })
            {
                notOffered = "it checks its clients' subject alternative names, which gRPC servers do not match";
                return null;
            }

            common.ValidationContext = new CertificateValidationContext { CaCertificateProviderInstance = ProviderInstance(GrpcCertificateProviders.RootsName(fileTrust.CertificateChain)) };
            result.RequireClientCertificate = true;
        }

        return result;
    }

    private static CertificateProviderPluginInstance ProviderInstance(string name) => new() { InstanceName = name };

    /// <summary>
    /// The SDS secret an ACM certificate or trust waits for: named by its ARN, or, for an empty ARN stored before the
    /// API refused one, by a name no secret has, since Envoy refuses an empty name with the whole response.
    /// </summary>
    private static string AcmSecretName(string arns) => arns.Length > 0 ? arns : "acm:empty-arn";

    private static CertificateValidationContext Validation(DataSource? trustedCa, IReadOnlyList<string> sans)
    {
        var validation = new CertificateValidationContext();
        if (trustedCa is not null)
        {
            validation.TrustedCa = trustedCa;
        }

        foreach (var san in sans)
        {
            // App Mesh SANs are plain strings; a scheme marks a URI SAN (SPIFFE IDs), an IP address an IP SAN (a node
            // found by its IP, say), anything else is a DNS name.
            validation.MatchTypedSubjectAltNames.Add(new SubjectAltNameMatcher
            {
                SanType = san.Contains("://", StringComparison.Ordinal) ? SubjectAltNameMatcher.Types.SanType.Uri
                    : IpLiteral.TryParse(san, out _) ? SubjectAltNameMatcher.Types.SanType.IpAddress
                    : SubjectAltNameMatcher.Types.SanType.Dns,
                Matcher = new StringMatcher { Exact = san },
            });
        }

        return validation;
    }

    private static string[] Alpn(Specs.PortProtocol protocol) => protocol switch
    {
        Specs.PortProtocol.Http => ["http/1.1"],
        Specs.PortProtocol.Http2 or Specs.PortProtocol.Grpc => ["h2", "http/1.1"],
        _ => [],
    };
}
