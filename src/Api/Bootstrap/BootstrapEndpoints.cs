using Mesh.Bootstrap;
using Mesh.Model.Identity;
using Mesh.Model.Specs;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Bootstrap;

/// <summary>
/// <c>GET /envoy/bootstrap?node=…</c>: the same bootstrap as the <c>bootstrap</c> command, with the same settings as
/// query parameters (<c>xds</c>, <c>delta</c>, <c>admin-port</c>, <c>tracing</c>, …; <c>grpc</c> for a proxyless gRPC
/// application's). It lies outside the SigV4-signed
/// <c>/v20190125</c> API and needs no key: a bootstrap holds no secrets (file paths and addresses only), and a proxy
/// container can fetch its own with curl at start.
/// </summary>
public static class BootstrapEndpoints
{
    public const string Path = "/envoy/bootstrap";

    /// <summary>Configuration key of the xDS address written into bootstraps when none is asked for.</summary>
    public const string XdsSetting = "Mesh:Bootstrap:Xds";

    public static IEndpointConventionBuilder MapEnvoyBootstrap(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, (HttpContext http, IConfiguration configuration, IDbContextFactory<MeshDbContext> contexts, IOptions<MeshApiOptions> options, ILoggerFactory logs) =>
            RenderAsync(http, configuration, contexts, options.Value.AccountId, logs.CreateLogger(typeof(BootstrapEndpoints))));

    public static HostPort DefaultXds(IConfiguration configuration) =>
        configuration[XdsSetting] is { Length: > 0 } xds ? HostPort.Parse(xds, XdsSetting) : BootstrapOptions.DefaultXds;

    public static string Region(IConfiguration configuration) => configuration["Mesh:Region"] is { Length: > 0 } region ? region : "us-east-1";

    private static async Task<IResult> RenderAsync(HttpContext http, IConfiguration configuration, IDbContextFactory<MeshDbContext> contexts, string accountId, ILogger log)
    {
        var values = http.Request.Query.SelectMany(q => q.Value.Count == 0 ? [new KeyValuePair<string, string?>(q.Key, "")] : q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))).ToList();
        try
        {
            var providers = BootstrapArguments.GrpcVirtualNode(values) is { } node
                ? await CertificateProvidersAsync(contexts, node.ToIdentity(accountId), http.RequestAborted)
                : null;
            var (text, mediaType) = BootstrapArguments.Render(values, DefaultXds(configuration), Region(configuration), providers);
            return Results.Text(text, mediaType);
        }
        catch (ArgumentException error)
        {
            return Results.Text(error.Message + "\n", "text/plain", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (Exception error) when (error is System.Data.Common.DbException || error.InnerException is System.Data.Common.DbException)
        {
            // Without the spec the bootstrap could lack the certificate providers the node's TLS needs: none is sent.
            // The endpoint is unsigned, so the database's own words (hosts, addresses) stay in the log.
            log.LogWarning(error, "GET {Path}: the virtual node's spec could not be read from the database", Path);
            http.Response.Headers.RetryAfter = "1";
            return Results.Text("The virtual node's spec, which decides the bootstrap's certificate providers, could not be read from the database; try again.\n", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// The certificate provider instances the node's spec reads files through (<see cref="GrpcCertificateProviders.For"/>);
    /// none for a node that does not exist yet, whose bootstrap is then the plaintext one. A node given TLS later names
    /// instances this bootstrap lacks: gRPC refuses those resources, which the proxy's status shows, until the
    /// bootstrap is fetched again.
    /// </summary>
    private static async Task<IReadOnlyList<GrpcCertificateProvider>> CertificateProvidersAsync(IDbContextFactory<MeshDbContext> contexts, ProxyIdentity node, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var spec = await db.Resources.AsNoTracking()
            .Where(r => r.AccountId == node.Mesh.AccountId && r.MeshName == node.Mesh.MeshName && r.Kind == "virtualNode" && r.ParentName == "" && r.Name == node.Name)
            .Select(r => r.Spec)
            .FirstOrDefaultAsync(cancellationToken);
        return spec is null ? [] : GrpcCertificateProviders.For(SpecJson.Deserialize<VirtualNodeSpec>(spec));
    }
}
