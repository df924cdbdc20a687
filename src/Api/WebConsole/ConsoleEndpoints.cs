using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Security;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// The console's own endpoints: its page and scripts, signing in and out, and the two reads the App Mesh API has
/// no operation for (proxy status and the audit log). Everything else the console shows or changes goes through
/// the ordinary App Mesh operations under /v20190125, authenticated by the session cookie.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>Console reads that the authentication middleware authenticates like App Mesh calls.</summary>
    public const string ApiPrefix = "/console/api";

    public const string SessionPath = "/console/session";

    /// <summary>The policy action that lets a key read its account's audit log (appmesh:List* in read-only keys covers it).</summary>
    public const string ListAuditRecordsAction = "appmesh:ListAuditRecords";

    public static void AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ConsoleOptions>(configuration.GetSection(ConsoleOptions.Section));
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ConsoleSessionAuthenticator>();
        services.AddSingleton<ConsoleSignIn>();
        services.AddSingleton<ConsoleAssets>();
        services.AddHttpClient(ProxyStatusReader.HttpClientName);
        services.AddSingleton<ProxyStatusReader>();
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content(HomePage.Html, "text/html; charset=utf-8")).ExcludeFromDescription();

        app.MapPost(SessionPath, (HttpContext context, ConsoleSignIn signIn) => signIn.SignInAsync(context)).ExcludeFromDescription();
        app.MapGet(SessionPath, (HttpContext context, ConsoleSignIn signIn) => signIn.CurrentAsync(context)).ExcludeFromDescription();
        app.MapDelete(SessionPath, (HttpContext context, ConsoleSignIn signIn) => signIn.SignOut(context)).ExcludeFromDescription();

        app.MapGet(ApiPrefix + "/proxy-status", GetProxyStatusAsync).WithName("DescribeProxyStatus").ExcludeFromDescription();
        app.MapGet(ApiPrefix + "/audit", ListAuditRecordsAsync).WithName("ListAuditRecords").ExcludeFromDescription();

        app.MapGet("/console", (HttpContext context, ConsoleAssets assets) => assets.ServeAsync(context, "index.html")).ExcludeFromDescription();
        app.MapGet("/console/{file}", (HttpContext context, ConsoleAssets assets, string file) => assets.ServeAsync(context, file)).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// The xDS servers' view of one of the caller's meshes' proxies: allowed to whoever may describe the mesh, and
    /// answered as DescribeMesh answers, NotFoundException included, when the caller's account has no such mesh.
    /// </summary>
    private static async Task<IResult> GetProxyStatusAsync(HttpContext context, ProxyStatusReader reader, ResourceOperations resources, ReadRace reads,
        IOptions<MeshApiOptions> mesh, string? meshName)
    {
        var caller = Caller.Of(context);
        if (string.IsNullOrEmpty(meshName))
        {
            throw AppMeshException.BadRequest("meshName: the query parameter meshName is required.");
        }

        var arn = $"arn:aws:appmesh:{mesh.Value.Region}:{caller.AccountId}:mesh/{meshName}";
        Authorize(caller, "appmesh:DescribeMesh", arn);

        // The mesh is described, not just named: its name is checked as DescribeMesh checks it, and a mesh this
        // account does not have is NotFound even when another account's mesh of that name has proxies.
        await reads.RunAsync(ct => resources.DescribeAsync(caller.AccountId, ResourceKind.Mesh, new JsonObject { ["meshName"] = meshName }, ct),
            AbandonedRead.Console, context.RequestAborted);
        return Results.Json(await reader.ReadAsync(caller.AccountId, meshName, context.RequestAborted));
    }

    /// <summary>The caller's account's audit records, newest first, a page at a time (before: the oldest id seen).</summary>
    private static async Task<IResult> ListAuditRecordsAsync(HttpContext context, AuditLog audit, ReadRace reads, IOptions<MeshApiOptions> mesh, int? limit,
        long? before)
    {
        var caller = Caller.Of(context);
        Authorize(caller, ListAuditRecordsAction, $"arn:aws:appmesh:{mesh.Value.Region}:{caller.AccountId}:audit/*");
        var size = limit ?? 100;
        if (size is < 1 or > 1000)
        {
            throw AppMeshException.BadRequest($"limit: must be between 1 and 1000, not {size}.");
        }

        // Answered at the deadline even when the database does not answer, as the API's reads are (ReadRace).
        var records = await reads.RunAsync(ct => audit.ListNewestAsync(caller.AccountId, size, before, ct), AbandonedRead.Console, context.RequestAborted);
        return Results.Json(new
        {
            records = records.Select(r => new
            {
                id = r.Id,
                at = r.At,
                accessKeyId = r.AccessKeyId,
                action = r.Action,
                resourceArn = r.ResourceArn,
                statusCode = r.StatusCode,
                errorCode = r.ErrorCode,
                message = r.Message,
                sourceAddress = r.SourceAddress,
                requestId = r.RequestId,
            }),
            nextBefore = records.Count == size ? records[^1].Id : (long?)null,
        });
    }

    private static void Authorize(Caller caller, string action, string arn)
    {
        if (!caller.Policy.Allows(action, arn))
        {
            throw new AppMeshException(ErrorCode.Forbidden, $"Access key {caller.AccessKeyId} is not authorized to perform {action} on resource {arn}.");
        }
    }

    /// <summary>Whether a policy allows any App Mesh operation that changes state: the console hides its write controls otherwise.</summary>
    public static bool CanWrite(KeyPolicy policy, ServiceModel model) =>
        model.Operations.Where(o => o.HttpMethod != HttpMethods.Get)
            .Any(o => policy.Statements.Any(s => s.Actions.Any(a => Wildcard.Matches(a, ApiCall.ActionOf(o.Name), ignoreCase: true))));
}
