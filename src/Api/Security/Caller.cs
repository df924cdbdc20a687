using Mesh.Security;

namespace Mesh.Api.Security;

/// <summary>Who is making the current request: the account it acts in, the key it proved, and what that key may do.</summary>
public sealed record Caller(string AccountId, string AccessKeyId, KeyPolicy Policy)
{
    private const string ItemKey = "Mesh.Caller";

    public static Caller Of(HttpContext context) =>
        context.Items[ItemKey] as Caller ?? throw new InvalidOperationException("The request was not authenticated.");

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
