using Microsoft.Extensions.Options;

namespace Mesh.Api.Protocol;

/// <summary>
/// Gives every request its deadline (<see cref="RequestDeadline"/>) and turns every failure into an App Mesh
/// error (<see cref="ApiFailures"/>). Anything unexpected is logged and answered as InternalServerErrorException
/// without internal details; a database that cannot be reached is ServiceUnavailableException with Retry-After.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, IOptions<MeshApiOptions> options, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var clientAborted = context.RequestAborted;
        var deadline = RequestDeadline.Start(options.Value.RequestTimeout, clientAborted);
        context.RequestAborted = deadline.Token;
        context.Features.Set(deadline);
        try
        {
            await next(context);
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            if (ApiFailures.Answer(context, error) is not { } answer)
            {
                return; // The client went away; there is nobody to answer.
            }

            // The deadline may have passed; the answer itself is written under the client's own token.
            context.RequestAborted = clientAborted;

            if (answer.Code == ErrorCode.InternalServerError)
            {
                LogUnexpected(logger, error, context.Request.Method, context.Request.Path, context.TraceIdentifier);
            }
            else if (answer.Code == ErrorCode.ServiceUnavailable)
            {
                LogUnavailable(logger, error, context.Request.Method, context.Request.Path, context.TraceIdentifier);
                context.Response.Headers.RetryAfter = ApiFailures.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await ErrorResponses.WriteAsync(context, answer.Code, answer.Message, answer.Fields);
        }
        finally
        {
            // The request is over: nothing of it waits on the deadline's token any more.
            context.Features.Set<RequestDeadline>(null);
            context.RequestAborted = clientAborted;
            deadline.End();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path} (request {RequestId})")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string method, string path, string requestId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Database unavailable in {Method} {Path} (request {RequestId}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, Exception error, string method, string path, string requestId);
}
