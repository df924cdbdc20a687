using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;

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
        var binder = services.GetRequiredService<RequestBinder>();
        var dispatcher = services.GetRequiredService<OperationDispatcher>();
        var model = services.GetRequiredService<ServiceModel>();

        var input = await binder.BindAsync(operation, context, context.RequestAborted);
        var output = await dispatcher.DispatchAsync(operation.Name, input, context.RequestAborted);

        var outputShape = model.Shape(operation.OutputShape!);
        JsonNode body = outputShape.Payload is { } payload ? output[payload]! : output;
        context.Response.StatusCode = operation.ResponseCode;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        body.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }
}
