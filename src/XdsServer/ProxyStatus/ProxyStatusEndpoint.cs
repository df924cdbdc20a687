using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>
/// <c>GET /proxy-status</c> (JSON): this replica's proxies and its peers'; <c>?local=true</c> for this replica's alone.
/// Served on the admin port only: the gRPC port, which proxies reach, answers 404, so node ids do not leak past
/// proxy authentication.
/// </summary>
public static class ProxyStatusEndpoint
{
    private const string GrpcConnection = "mesh.xds.grpc-listener";

    /// <summary>Kestrel connection middleware for the gRPC listener: marks its connections.</summary>
    public static ConnectionDelegate MarkGrpcConnection(ConnectionDelegate next) => connection =>
    {
        connection.Items[GrpcConnection] = true;
        return next(connection);
    };

    public static IEndpointRouteBuilder MapProxyStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/proxy-status", GetAsync);
        return endpoints;
    }

    public static async Task<Results<JsonHttpResult<ProxyStatusReport>, NotFound>> GetAsync(ProxyStatusCollector collector, HttpContext context, bool? local = null)
    {
        if (OnGrpcListener(context))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Json(local == true ? collector.Local() : await collector.AllAsync(context.RequestAborted), ProxyStatusJson.Options);
    }

    /// <summary>Whether the request came in on the gRPC listener (which proxies reach) rather than the admin port.</summary>
    internal static bool OnGrpcListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(GrpcConnection) == true;
}
