using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Security;
using Mesh.Model.Wire;
using Microsoft.Extensions.Options;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Serves Cloud Map's awsJson1.1 protocol on the API port: <c>POST /</c>, the operation named by X-Amz-Target, the
/// input as the JSON body. Authentication, the rate limit, errors, metrics and the audit log are those of the App
/// Mesh API; actions are <c>servicediscovery:&lt;Operation&gt;</c>.
/// </summary>
public static class CloudMapEndpoints
{
    private static readonly ErrorCode AccessDenied = new("AccessDeniedException", 400);

    public static IEndpointRouteBuilder MapCloudMapApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/", HandleAsync).WithName("CloudMap").WithTags("Cloud Map").ExcludeFromDescription();
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (Sts.StsRequest.Is(context.Request))
        {
            // The same route: STS's Query protocol is POST / too, told apart by its form body and no X-Amz-Target.
            await Sts.StsEndpoints.HandleAsync(context);
            return;
        }

        if (!CloudMapRequest.Is(context.Request))
        {
            throw new AppMeshException(ErrorCode.UnknownOperation with { StatusCode = 404 },
                $"POST / serves Cloud Map (X-Amz-Target naming an operation as {CloudMapRequest.TargetPrefix}<Operation>) and STS GetCallerIdentity (a form body) only.");
        }

        var services = context.RequestServices;
        var model = ServiceModel.CloudMap;
        var name = CloudMapRequest.OperationName(context.Request);
        var caller = Caller.Of(context);
        var action = ApiCall.ActionOf(name, CloudMapRequest.ActionService);
        var metricAction = CloudMapRequest.MetricAction(name);
        var mutating = !CloudMapRequest.IsRead(name);
        var resourceArn = "";
        var metrics = services.GetRequiredService<ApiMetrics>();
        var started = Stopwatch.GetTimestamp();
        using var activity = ApiMetrics.Activities.StartActivity(name);
        activity?.SetTag("rpc.system", "aws-api");
        activity?.SetTag("rpc.service", "ServiceDiscovery");
        activity?.SetTag("rpc.method", name);
        activity?.SetTag("aws.request_id", context.TraceIdentifier);
        activity?.SetTag("cloud.account.id", caller.AccountId);
        ApiCall? call = null;
        try
        {
            if (!model.OperationsByName.TryGetValue(name, out var operation))
            {
                throw new AppMeshException(CloudMapErrors.UnknownOperationCode,
                    $"X-Amz-Target names no Cloud Map operation: '{name}'.");
            }

            var input = await services.GetRequiredService<CloudMapBinder>().BindAsync(operation, context, context.RequestAborted);
            var region = services.GetRequiredService<IOptions<MeshApiOptions>>().Value.Region;
            resourceArn = CloudMapResourceArns.Arn(name, input, region, caller.AccountId);
            activity?.SetTag("aws.servicediscovery.resource_arn", resourceArn);
            call = new ApiCall(caller, name, resourceArn, context.TraceIdentifier,
                context.Connection.RemoteIpAddress?.ToString() ?? "", 200, CloudMapRequest.ActionService);
            if (!caller.Policy.Allows(call.Action, resourceArn))
            {
                throw new AppMeshException(AccessDenied,
                    $"Access key {caller.AccessKeyId} is not authorized to perform {call.Action} on resource {resourceArn}.");
            }

            CloudMapIds.ResolveArns(name, input, region, caller.AccountId);

            // A successful write's audit record is committed with the write itself (WriteTransactions).
            var output = await services.GetRequiredService<CloudMapDispatcher>().DispatchAsync(call, input, context.RequestAborted);
            metrics.Record(metricAction, 200, "", Stopwatch.GetElapsedTime(started));
            context.Response.StatusCode = 200;
            context.Response.ContentType = CloudMapRequest.ContentType;
            await using var writer = new Utf8JsonWriter(context.Response.Body);
            output.WriteTo(writer);
            await writer.FlushAsync(context.Features.Get<RequestDeadline>()?.ClientAborted ?? context.RequestAborted);
        }
        catch (Exception error) when (ApiFailures.Answer(context, error) is { } answer)
        {
            metrics.Record(metricAction, answer.Code.StatusCode, answer.Code.Name, Stopwatch.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error, answer.Code.Name);
            if (mutating)
            {
                // Nothing was committed (or a write left running at the deadline settles it, see AbandonedWriteAudit);
                // the record is queued so that answering never waits on the database.
                ApiCall.AuditRefused(call, services.GetRequiredService<AuditLog>(), AuditRecords.Create(
                    services.GetRequiredService<TimeProvider>().GetUtcNow(), caller.AccountId, caller.AccessKeyId,
                    action, resourceArn, context.TraceIdentifier,
                    context.Connection.RemoteIpAddress?.ToString() ?? "", answer.Code.StatusCode, answer.Code.Name, answer.Message));
            }

            throw;
        }
    }
}
