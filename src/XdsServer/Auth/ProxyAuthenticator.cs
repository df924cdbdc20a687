using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Mesh.Security;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Auth;

/// <summary>
/// Turns a gRPC call into a <see cref="ProxyPrincipal"/>, or refuses it with UNAUTHENTICATED.
/// <para>
/// SigV4: Envoy's <c>envoy.grpc_credentials.aws_iam</c> signs, per call, a POST of the call's path with the host
/// of the channel's authority (gRPC drops a <c>:443</c> port from it) and the hash of an empty body
/// (<c>sign_body=false</c>), and sends <c>authorization</c>, <c>x-amz-date</c>, <c>x-amz-content-sha256</c> and, with
/// temporary credentials, <c>x-amz-security-token</c> as call metadata. That request is checked with the API's
/// <see cref="SigV4Verifier"/> against the keys in PostgreSQL.
/// </para>
/// <para>mTLS: the client certificate must chain to <c>Xds:Tls:ClientCaPath</c>; its URI SANs name the nodes it may be.</para>
/// </summary>
public sealed class ProxyAuthenticator
{
    private const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private readonly ProxyAuthMode _mode;
    private readonly string _region;
    private readonly SigV4Verifier _verifier;
    private readonly ProxyIdentityParser _parser;
    private readonly TimeProvider _clock;
    private readonly IServiceProvider _services;
    private readonly X509Certificate2Collection _clientAuthorities = [];

    public ProxyAuthenticator(
        IOptions<ProxyAuthOptions> auth,
        IOptions<XdsTlsOptions> tls,
        IOptions<AccountOptions> mesh,
        ProxyIdentityParser parser,
        TimeProvider clock,
        IServiceProvider services)
    {
        _mode = auth.Value.Mode;
        _region = mesh.Value.Region;
        _verifier = new SigV4Verifier(_region, "appmesh", clock);
        _parser = parser;
        _clock = clock;
        _services = services;
        if (_mode == ProxyAuthMode.MutualTls)
        {
            if (!tls.Value.Enabled || string.IsNullOrEmpty(tls.Value.ClientCaPath))
            {
                throw new XdsConfigurationException("Xds:Auth:Mode=MutualTls needs Xds:Tls:CertificatePath, Xds:Tls:KeyPath and Xds:Tls:ClientCaPath.");
            }

            _clientAuthorities.ImportFromPemFile(tls.Value.ClientCaPath);
        }
    }

    public ProxyAuthMode Mode => _mode;

    public string Region => _region;

    public Task<ProxyPrincipal> AuthenticateAsync(ServerCallContext call) => AuthenticateAsync(call.GetHttpContext(), call.CancellationToken);

    /// <summary>The HTTP/2 request of a gRPC call: its path, authority and headers (call metadata), and its TLS connection.</summary>
    public async Task<ProxyPrincipal> AuthenticateAsync(HttpContext http, CancellationToken cancellationToken) => _mode switch
    {
        ProxyAuthMode.None => AnonymousPrincipal.Instance,
        ProxyAuthMode.MutualTls => FromCertificate(http),
        _ => await FromSignatureAsync(http, cancellationToken),
    };

    private CertificatePrincipal FromCertificate(HttpContext http)
    {
        var certificate = http.Connection.ClientCertificate
            ?? throw Unauthenticated("this xDS server requires a client certificate (mutual TLS) naming the proxy's node; none was presented");
        if (ClientCertificates.ChainProblem(certificate, _clientAuthorities, _clock.GetUtcNow()) is { } problem)
        {
            throw Unauthenticated(problem);
        }

        var nodes = ClientCertificates.Identities(certificate, _parser);
        if (nodes.Count == 0)
        {
            throw Unauthenticated($"the client certificate ({certificate.Subject}) has no URI SAN naming a virtual node or gateway (arn:aws:appmesh:… or spiffe://<trust domain>/mesh/<mesh>/virtualNode/<name>)");
        }

        return new CertificatePrincipal(certificate.Subject, nodes);
    }

    private async Task<AccessKeyPrincipal> FromSignatureAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var keys = _services.GetService<IProxyKeyStore>()
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "SigV4 proxy authentication needs the key store: set ConnectionStrings:Mesh and Mesh:Auth:MasterKey"));
        var request = SignedRequestOf(http, out var host);
        ActiveKey? key = null;
        try
        {
            try
            {
                await _verifier.VerifyAsync(request, async (id, ct) => (key = await keys.FindActiveAsync(id, ct))?.Secret, cancellationToken);
            }
            catch (AuthFailure failure) when (failure.Code == AuthFailure.InvalidSignature && host.EndsWith(":443", StringComparison.Ordinal) && key is not null)
            {
                // gRPC signs the authority without its default port; the HTTP/2 request may still carry it.
                var headers = new Dictionary<string, IReadOnlyList<string>>(request.Headers, StringComparer.Ordinal) { ["host"] = [host[..^4]] };
                await _verifier.VerifyAsync(request with { Headers = headers }, (_, _) => Task.FromResult<string?>(key.Secret), cancellationToken);
            }
        }
        catch (AuthFailure failure)
        {
            throw Unauthenticated($"{failure.Code}: {failure.Message}");
        }

        return new AccessKeyPrincipal(key!, _region);
    }

    private static SignedRequest SignedRequestOf(HttpContext http, out string host)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : (http.Request.PathBase + http.Request.Path).ToString();
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in http.Request.Headers)
        {
            if (!name.StartsWith(':'))
            {
                headers[name.ToLowerInvariant()] = values.Select(v => v ?? "").ToList();
            }
        }

        host = http.Request.Host.Value ?? "";
        headers["host"] = [host];
        return new SignedRequest(
            http.Request.Method,
            query < 0 ? target : target[..query],
            query < 0 ? "" : target[(query + 1)..],
            headers,
            EmptyPayloadHash);
    }

    public static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, message));

    public static RpcException PermissionDenied(string message) => new(new Status(StatusCode.PermissionDenied, message));
}
