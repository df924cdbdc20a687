using Mesh.Bootstrap;

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
        app.MapGet(Path, (HttpContext http, IConfiguration configuration) => Render(http.Request.Query, configuration));

    public static HostPort DefaultXds(IConfiguration configuration) =>
        configuration[XdsSetting] is { Length: > 0 } xds ? HostPort.Parse(xds, XdsSetting) : BootstrapOptions.DefaultXds;

    public static string Region(IConfiguration configuration) => configuration["Mesh:Region"] is { Length: > 0 } region ? region : "us-east-1";

    private static IResult Render(IQueryCollection query, IConfiguration configuration)
    {
        var values = query.SelectMany(q => q.Value.Count == 0 ? [new KeyValuePair<string, string?>(q.Key, "")] : q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))).ToList();
        try
        {
            var (text, mediaType) = BootstrapArguments.Render(values, DefaultXds(configuration), Region(configuration));
            return Results.Text(text, mediaType);
        }
        catch (ArgumentException error)
        {
            return Results.Text(error.Message + "\n", "text/plain", statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
