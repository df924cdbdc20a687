using Microsoft.AspNetCore.Http.Metadata;

namespace Mesh.Api.Protocol;

/// <summary>
/// Gives an error status that nothing wrote a body for (routing's bare 404 for an unknown path, 405 for a known path
/// with another method) an AWS-style body naming the method and path, once the call has returned
/// (<see cref="ErrorHandlingMiddleware"/>). The same test as ASP.NET Core's status-code pages, which this replaces: on
/// every call that middleware allocated its feature, the feature collection's entry and an async state machine to
/// answer only the calls no App Mesh operation is bound to. Here a call costs a status check; nothing of ours or of the
/// framework we use turns the pages off through the feature, and an endpoint's <see cref="ISkipStatusCodePagesMetadata"/>
/// is still honoured.
/// </summary>
public static class BareErrorAnswer
{
    /// <summary>An error status with no body begun or described, from an endpoint (or none) that did not opt out.</summary>
    public static bool Needed(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode is >= 400 and < 600
            && !response.HasStarted
            && response.ContentLength is null
            && string.IsNullOrEmpty(response.ContentType)
            && context.GetEndpoint()?.Metadata.GetMetadata<ISkipStatusCodePagesMetadata>() is null;
    }

    public static Task WriteAsync(HttpContext context)
    {
        var message = $"No App Mesh operation is bound to {context.Request.Method} {context.Request.Path}.";
        var code = ErrorCode.UnknownOperation with { StatusCode = context.Response.StatusCode };
        return ErrorResponses.WriteAsync(context, code, message);
    }
}
