using Microsoft.AspNetCore.Http.Metadata;

namespace Mesh.Api.Protocol;

/// <summary>
/// Gives an error status that nothing wrote a body for (routing's bare 404 for an unknown path, 405 for a known path
/// with another method) an AWS-style body naming the method and path. The same test as ASP.NET Core's status-code
/// pages, which this replaces: on every call that middleware allocated its feature, the feature collection's entry and
/// an async state machine to answer only the calls no App Mesh operation is bound to. Here a call that completed
/// synchronously costs a status check; nothing of ours or of the framework we use turns the pages off through the
/// feature, and an endpoint's <see cref="ISkipStatusCodePagesMetadata"/> is still honoured.
/// </summary>
public sealed class BareErrorAnswerMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var call = next(context);
        if (!call.IsCompletedSuccessfully)
        {
            return AfterAsync(call, context);
        }

        return NeedsBody(context) ? WriteAsync(context) : Task.CompletedTask;
    }

    private static async Task AfterAsync(Task call, HttpContext context)
    {
        await call;
        if (NeedsBody(context))
        {
            await WriteAsync(context);
        }
    }

    /// <summary>An error status with no body begun or described, from an endpoint (or none) that did not opt out.</summary>
    private static bool NeedsBody(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode is >= 400 and < 600
            && !response.HasStarted
            && response.ContentLength is null
            && string.IsNullOrEmpty(response.ContentType)
            && context.GetEndpoint()?.Metadata.GetMetadata<ISkipStatusCodePagesMetadata>() is null;
    }

    private static Task WriteAsync(HttpContext context)
    {
        var message = $"No App Mesh operation is bound to {context.Request.Method} {context.Request.Path}.";
        var code = ErrorCode.UnknownOperation with { StatusCode = context.Response.StatusCode };
        return ErrorResponses.WriteAsync(context, code, message);
    }
}
