using Microsoft.Extensions.Options;

namespace Mesh.Api.Protocol;

/// <summary>
/// The one middleware around every call: gives it its request id (<see cref="RequestId"/>), its deadline
/// (<see cref="RequestDeadline"/>), an AWS-style body for a bare error status (<see cref="BareErrorAnswer"/>), and turns
/// every failure into an App Mesh error (<see cref="ApiFailures"/>). Anything unexpected is logged and answered as
/// InternalServerErrorException without internal details; a database that cannot be reached is
/// ServiceUnavailableException with Retry-After.
/// </summary>
/// <remarks>
/// These were three middlewares, of which two awaited the rest of the call: a call that waits for the database was
/// resumed through each of their frames on the way back (5–6% of a warm Describe's samples, issue14ak). Here it is
/// resumed through this one. The order of what they did is kept: the request id before anything, the deadline around
/// the rest, the bare error's body written after the rest returned without an exception, under the deadline, and a
/// failure of that write handled like any other.
/// </remarks>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, IOptions<MeshApiOptions> options, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        RequestId.Assign(context);
        var clientAborted = context.RequestAborted;
        var deadline = RequestDeadline.Start(options.Value.RequestTimeout, clientAborted);
        context.RequestAborted = deadline.Token;
        context.Features.Set(deadline);
        try
        {
            await next(context);
            if (BareErrorAnswer.Needed(context))
            {
                await BareErrorAnswer.WriteAsync(context);
            }
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
