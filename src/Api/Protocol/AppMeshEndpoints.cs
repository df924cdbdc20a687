using Mesh.Security;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
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
        foreach (var operation in model.Operations)
        {
            app.MapMethods(operation.PathTemplate, [operation.HttpMethod], (HttpContext context) => HandleAsync(operation, context))
                .WithName(operation.Name)
                .WithTags("App Mesh");
        }

        return app;
    }

    private static async Task HandleAsync(Operation operation, HttpContext context)
    {
        var services = context.RequestServices;
        var caller = Caller.Of(context);
        var action = "appmesh:" + operation.Name;
        var mutating = operation.HttpMethod != HttpMethods.Get;
        var resourceArn = "";
        var metrics = services.GetRequiredService<ApiMetrics>();
        var started = Stopwatch.GetTimestamp();
        using var activity = ApiMetrics.Activities.StartActivity(operation.Name);
        activity?.SetTag("rpc.system", "aws-api");
        activity?.SetTag("rpc.service", "AppMesh");
        activity?.SetTag("rpc.method", operation.Name);
        activity?.SetTag("aws.request_id", context.TraceIdentifier);
        activity?.SetTag("cloud.account.id", caller.AccountId);
        try
        {
            var input = await services.GetRequiredService<RequestBinder>().BindAsync(operation, context, context.RequestAborted);
            var region = services.GetRequiredService<IOptions<MeshApiOptions>>().Value.Region;
            resourceArn = OperationResources.Arn(operation.Name, input, region, caller.AccountId);
            activity?.SetTag("aws.appmesh.resource_arn", resourceArn);
            if (!caller.Policy.Allows(action, resourceArn))
            {
                throw new AppMeshException(ErrorCode.Forbidden,
                    $"Access key {caller.AccessKeyId} is not authorized to perform {action} on resource {resourceArn}.");
            }

            var output = await services.GetRequiredService<OperationDispatcher>().DispatchAsync(operation.Name, caller.AccountId, input, context.RequestAborted);
            await WriteOutputAsync(operation, output, context, services.GetRequiredService<ServiceModel>());
            metrics.Record(operation.Name, operation.ResponseCode, "", Stopwatch.GetElapsedTime(started));
            if (mutating)
            {
                await services.GetRequiredService<AuditLog>().RecordAsync(caller, action, resourceArn, context.TraceIdentifier, operation.ResponseCode, "");
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            var code = error is AppMeshException known ? known.Code : ErrorCode.InternalServerError;
            metrics.Record(operation.Name, code.StatusCode, code.Name, Stopwatch.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error, code.Name);
            if (mutating)
            {
                await services.GetRequiredService<AuditLog>().RecordAsync(caller, action, resourceArn, context.TraceIdentifier, code.StatusCode, code.Name);
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
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        body.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }
}
