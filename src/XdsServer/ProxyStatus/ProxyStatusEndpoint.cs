using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary><c>GET /proxy-status</c> (JSON): this replica's proxies and its peers'; <c>?local=true</c> for this replica's alone.</summary>
public static class ProxyStatusEndpoint
{
    public static IEndpointRouteBuilder MapProxyStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/proxy-status", GetAsync);
        return endpoints;
    }

    public static async Task<JsonHttpResult<ProxyStatusReport>> GetAsync(ProxyStatusCollector collector, HttpContext context, bool? local = null) =>
        TypedResults.Json(local == true ? collector.Local() : await collector.AllAsync(context.RequestAborted), ProxyStatusJson.Options);
}
