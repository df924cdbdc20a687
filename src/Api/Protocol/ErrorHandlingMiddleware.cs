using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// Turns every failure into an App Mesh error. Known errors keep their code; anything unexpected is
/// logged and reported as InternalServerErrorException without internal details.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (AppMeshException error) when (!context.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(context, error.Code, error.Message);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var message = error.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The request body is larger than the {MaxBody(context)} bytes allowed."
                : $"The request could not be read: {error.Message}";
            await ErrorResponses.WriteAsync(context, ErrorCode.BadRequest, message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            LogUnexpected(logger, error, context.Request.Method, context.Request.Path, context.TraceIdentifier);
            await ErrorResponses.WriteAsync(context, ErrorCode.InternalServerError,
                $"The request failed unexpectedly; request id {context.TraceIdentifier}.");
        }
    }

    private static string MaxBody(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize?.ToString() ?? "maximum";

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path} (request {RequestId})")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string method, string path, string requestId);
}
