using System.Security.Cryptography;
using System.Text;
using Mesh.Api.Protocol;
using Mesh.Api.Security;
using Mesh.Security;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Turns a console session cookie into the <see cref="Caller"/> of the key it was signed in with, so that the
/// console's calls go through the same policy checks, audit log and rate limit as a SigV4-signed call. A call that
/// changes state must also carry the session's CSRF token in <see cref="CsrfHeader"/>: another site's page can make
/// the browser send the cookie (were SameSite=Strict ever bypassed) but cannot read the token.
/// </summary>
public sealed class ConsoleSessionAuthenticator(ConsoleSessions sessions, AccessKeyStore keys)
{
    public const string CookieName = "mesh-console";
    public const string CsrfHeader = "X-Mesh-Csrf";

    /// <summary>
    /// True when the request is authenticated by a console session rather than by a signature: it carries the
    /// cookie and no SigV4 Authorization header or presigned query. The Authorization header is looked at first: a
    /// signed call (nearly every call) then never parses the cookies, which made the request's cookie feature and
    /// collection on every API call.
    /// </summary>
    public static bool Carries(HttpRequest request) =>
        request.Headers.Authorization.Count == 0
        && request.Cookies.ContainsKey(CookieName)
        && !request.Query.ContainsKey("X-Amz-Credential");

    public static bool ChangesState(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));

    /// <summary>
    /// The caller the request's session stands for, or the refusal. A refused call's session key (and account, when
    /// the key is active) is left in the request's features as <see cref="ConsoleSessionKey"/>, so that the refusal is
    /// audited where that account's owner reads the audit log.
    /// </summary>
    public async Task<Caller> AuthenticateAsync(HttpContext context)
    {
        var session = sessions.Find(context.Request.Cookies[CookieName])
            ?? throw new AppMeshException(new ErrorCode(AuthFailure.UnrecognizedClient, 403),
                "The console session is unknown or has expired; sign in again.");

        // The key is looked up again on every call (cached for a second), so revoking it ends its sessions too.
        var key = await keys.FindActiveAsync(session.AccessKeyId, context.RequestAborted);
        if (key is null)
        {
            context.Features.Set(new ConsoleSessionKey("", session.AccessKeyId));
            sessions.Remove(session.Id);
            throw new AppMeshException(new ErrorCode(AuthFailure.UnrecognizedClient, 403),
                $"The access key {session.AccessKeyId} this console session was signed in with is no longer active.");
        }

        if (ChangesState(context.Request) && !TokenMatches(session.CsrfToken, context.Request.Headers[CsrfHeader].ToString()))
        {
            context.Features.Set(new ConsoleSessionKey(key.AccountId, key.AccessKeyId));
            throw new AppMeshException(ErrorCode.Forbidden,
                $"A console call that changes state must carry the session's {CsrfHeader} header; it was missing or wrong.");
        }

        return new Caller(key.AccountId, key.AccessKeyId, key.Policy);
    }

    public static bool TokenMatches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
}

/// <summary>The key (and its account; "" when the key is no longer active) a refused console call's session was signed in with.</summary>
public sealed record ConsoleSessionKey(string AccountId, string AccessKeyId);
