namespace Mesh.Api.Protocol;

/// <summary>Gives every response an x-amzn-RequestId, which the SDKs surface in errors and logs.</summary>
public static class RequestId
{
    public const string Header = "x-amzn-RequestId";

    /// <summary>A new id for <paramref name="context"/>: its trace identifier (logs, audit, traces) and its answer's header.</summary>
    public static void Assign(HttpContext context)
    {
        var requestId = Guid.NewGuid().ToString();
        context.TraceIdentifier = requestId;
        context.Response.Headers[Header] = requestId;
    }
}
