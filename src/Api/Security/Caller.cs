using Mesh.Security;

namespace Mesh.Api.Security;

/// <summary>Who is making the current request: the account it acts in, the key it proved, and what that key may do.</summary>
public sealed record Caller(string AccountId, string AccessKeyId, KeyPolicy Policy)
{
    // Carried as a request feature rather than in HttpContext.Items, whose dictionary was made for this one entry on
    // every call (the request's deadline is a feature already).
    public static Caller Of(HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("The request was not authenticated.");

    public void AttachTo(HttpContext context) => context.Features.Set(this);
}
