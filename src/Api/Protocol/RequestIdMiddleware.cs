namespace Mesh.Api.Protocol;

/// <summary>Gives every response an x-amzn-RequestId, which the SDKs surface in errors and logs.</summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "x-amzn-RequestId";

    public Task InvokeAsync(HttpContext context)
    {
        var requestId = Guid.NewGuid().ToString();
        context.TraceIdentifier = requestId;
        context.Response.Headers[Header] = requestId;
        return next(context);
    }
}
