using Mesh.Security;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Model.Wire;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Protocol;

/// <summary>
/// Binds every operation of the App Mesh model to its HTTP method and path, straight from the model,
/// so no operation can be missing or bound differently from what the SDKs send.
/// </summary>
public static class AppMeshEndpoints
{
    public static IEndpointRouteBuilder MapAppMeshApi(this IEndpointRouteBuilder app)
    {
        var model = app.ServiceProvider.GetRequiredService<ServiceModel>();
        // Everything the handler uses is a singleton: resolved here once (the root provider), not looked up on every
        // call and with no DI scope per call. What only a refused write needs is resolved when it happens.
        var handler = new Handler(
            app.ServiceProvider,
            app.ServiceProvider.GetRequiredService<ApiMetrics>(),
            app.ServiceProvider.GetRequiredService<RequestBinder>(),
            app.ServiceProvider.GetRequiredService<OperationDispatcher>(),
            model);
        foreach (var operation in model.Operations)
        {
            app.MapMethods(operation.PathTemplate, [operation.HttpMethod], (HttpContext context) => HandleAsync(operation, context, handler))
                .WithName(operation.Name)
                .WithTags("App Mesh");
        }

        return app;
    }

    /// <summary>The singletons every call uses, resolved once when the endpoints are mapped.</summary>
    private sealed record Handler(IServiceProvider Services, ApiMetrics Metrics, RequestBinder Binder, OperationDispatcher Dispatcher, ServiceModel Model)
    {
        public string Region { get; } = Services.GetRequiredService<IOptions<MeshApiOptions>>().Value.Region;
    }

    private static async Task HandleAsync(Operation operation, HttpContext context, Handler handler)
    {
        var caller = Caller.Of(context);
        var mutating = operation.HttpMethod != HttpMethods.Get;
        var resourceArn = "";
        var services = handler.Services;
        var metrics = handler.Metrics;
        var started = Stopwatch.GetTimestamp();
        using var activity = ApiMetrics.Activities.StartActivity(operation.Name);
        activity?.SetTag("rpc.system", "aws-api");
        activity?.SetTag("rpc.service", "AppMesh");
        activity?.SetTag("rpc.method", operation.Name);
        activity?.SetTag("aws.request_id", context.TraceIdentifier);
        activity?.SetTag("cloud.account.id", caller.AccountId);
        ApiCall? call = null;
        try
        {
            // A Describe or a list page whose labels (and page members) are kept as they are is bound straight from the
            // request; any other call (and any of those something would refuse) into the validated input the
            // dispatcher reads.
            JsonObject? input = null;
            var described = handler.Binder.TryBindDescribe(operation, context);
            var listed = described is null ? handler.Binder.TryBindList(operation, context) : null;
            if (described is not null)
            {
                resourceArn = described.ToArn(handler.Region, caller.AccountId);
            }
            else if (listed is { } page)
            {
                resourceArn = OperationResources.ListArn(page.Kind, page.MeshName, page.ParentName, handler.Region, caller.AccountId);
            }
            else
            {
                input = await handler.Binder.BindAsync(operation, context, context.RequestAborted);
                resourceArn = OperationResources.Arn(operation.Name, input, handler.Region, caller.AccountId);
            }

            activity?.SetTag("aws.appmesh.resource_arn", resourceArn);
            call = new ApiCall(caller, operation.Name, resourceArn, context.TraceIdentifier,
                context.Connection.RemoteIpAddress?.ToString() ?? "", operation.ResponseCode);
            if (!caller.Policy.Allows(call.Action, resourceArn))
            {
                throw new AppMeshException(ErrorCode.Forbidden,
                    $"Access key {caller.AccessKeyId} is not authorized to perform {call.Action} on resource {resourceArn}.");
            }

            // A successful write's audit record is committed with the write itself (WriteTransactions).
            var output = described is not null ? await handler.Dispatcher.DescribeAsync(call, described, context.RequestAborted)
                : listed is { } request ? await handler.Dispatcher.ListAsync(call, request, context.RequestAborted)
                : await handler.Dispatcher.DispatchAsync(call, input!, context.RequestAborted);
            metrics.Record(operation.Name, operation.ResponseCode, "", Stopwatch.GetElapsedTime(started));
            await WriteOutputAsync(operation, output, context, handler.Model);
        }
        catch (Exception error) when (ApiFailures.Answer(context, error) is { } answer)
        {
            metrics.Record(operation.Name, answer.Code.StatusCode, answer.Code.Name, Stopwatch.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error, answer.Code.Name);
            if (mutating)
            {
                // Nothing was committed (or a write left running at the deadline settles it, see AbandonedWriteAudit);
                // the record is queued so that answering never waits on the database.
                ApiCall.AuditRefused(call, services.GetRequiredService<AuditLog>(), AuditRecords.Create(
                    services.GetRequiredService<TimeProvider>().GetUtcNow(), caller.AccountId, caller.AccessKeyId,
                    ApiCall.ActionOf(operation.Name), resourceArn, context.TraceIdentifier,
                    context.Connection.RemoteIpAddress?.ToString() ?? "", answer.Code.StatusCode, answer.Code.Name, answer.Message));
            }

            throw;
        }
    }

    private static async Task WriteOutputAsync(Operation operation, JsonObject output, HttpContext context, ServiceModel model)
    {
        var outputShape = model.Shape(operation.OutputShape!);
        JsonNode body = outputShape.Payload is { } payload ? output[payload]! : output;
        context.Response.StatusCode = operation.ResponseCode;
        context.Response.ContentType = "application/json";
        var sent = context.Features.Get<RequestDeadline>()?.ClientAborted ?? context.RequestAborted;

        if (RawJson.TryGetUtf8(body, out var rendered))
        {
            // The whole answer was rendered already (a Describe's *Data): its bytes are what the writer below would
            // copy, so they are sent as they are, with their Content-Length, in one write.
            try
            {
                context.Response.ContentLength = rendered.Length;
                await context.Response.Body.WriteAsync(rendered, sent);
            }
            finally
            {
                RawJson.ReturnRented(output);
            }

            return;
        }

        // Rendered whole into a pooled buffer, then sent with its Content-Length in one write: no chunked framing,
        // no stream adapter, no per-call writer buffer.
        var buffer = RenderBuffers.Rent();
        try
        {
            var writer = JsonWriters.Rent(buffer);
            body.WriteTo(writer);
            JsonWriters.Return(writer);

            context.Response.ContentLength = buffer.WrittenCount;

            // The work is done (and committed): the deadline no longer applies, only the client going away.
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, sent);
        }
        finally
        {
            RenderBuffers.Return(buffer);
            RawJson.ReturnRented(output);
        }
    }
}
