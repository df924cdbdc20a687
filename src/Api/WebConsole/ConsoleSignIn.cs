using System.Text.Json;
using Mesh.Api.Protocol;
using Mesh.Api.Security;
using Mesh.Model.Wire;
using Mesh.Security;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Signing in to the console with an access key id and secret, checked against the same key store SigV4 uses.
/// The secret is only compared, never kept: the browser gets a random session id in an HttpOnly, SameSite=Strict
/// cookie (Secure over HTTPS), and a CSRF token it must echo on every call that changes state. Sign-ins, failed
/// ones included, are written to the audit log as console:SignIn, under the key's account when the key exists.
/// Failed sign-ins are limited per key id and per source address (<see cref="SignInThrottle"/>).
/// </summary>
public sealed class ConsoleSignIn(
    ConsoleSessions sessions,
    SignInThrottle throttle,
    AccessKeyStore keys,
    AuditLog audit,
    ServiceModel model,
    TimeProvider clock,
    IOptions<AuthOptions> auth,
    IOptions<MeshApiOptions> mesh)
{
    private const string Action = "console:SignIn";

    public async Task<IResult> SignInAsync(HttpContext context)
    {
        if (auth.Value.Mode == AuthMode.None)
        {
            return Results.Json(Describe(mesh.Value.AccountId, "", KeyPolicy.Admin, ""));
        }

        // A cross-site form cannot send JSON without a CORS preflight, which this host never grants; a browser's
        // Origin, when sent, must be this host (no signing a victim in as the attacker).
        if (!context.Request.HasJsonContentType())
        {
            throw AppMeshException.BadRequest("Sign in with a JSON body: {\"accessKeyId\": ..., \"secretAccessKey\": ...}.");
        }

        if (context.Request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            throw new AppMeshException(ErrorCode.Forbidden, $"Sign-in from origin {origin} is not allowed.");
        }

        SignInRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SignInRequest>(context.Request.Body, JsonSerializerOptions.Web, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw AppMeshException.BadRequest($"The sign-in body is not valid JSON: {e.Message}");
        }

        var keyId = request?.AccessKeyId?.Trim() ?? "";
        var secret = request?.SecretAccessKey ?? "";
        if (keyId.Length == 0)
        {
            throw AppMeshException.BadRequest("accessKeyId: enter the access key id.");
        }

        if (secret.Length == 0)
        {
            throw AppMeshException.BadRequest("secretAccessKey: enter the secret access key.");
        }

        var key = await keys.FindActiveAsync(keyId, context.RequestAborted);
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "";
        // The secret is not even compared once the attempts are used up: the limit is what makes guessing slow.
        if (throttle.TryAdmit(keyId, address) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var throttled = new AppMeshException(ErrorCode.TooManyRequests,
                $"Too many failed console sign-ins of this access key id from this address; retry in {seconds} s.");
            Audit(context, AttributedAccount(key, keyId), keyId, throttled.Code.StatusCode, throttled.Code.Name, throttled.Message);
            throw throttled;
        }

        if (key is null || !ConsoleSessionAuthenticator.TokenMatches(key.Secret, secret))
        {
            // One answer for an unknown key and a wrong secret, as SigV4 gives: nothing to probe key ids with. The
            // audit record names the key's account when there is one, so its owner sees the attempt.
            var refused = new AppMeshException(new ErrorCode(AuthFailure.UnrecognizedClient, 403),
                "The access key id or secret access key is not valid.");
            Audit(context, AttributedAccount(key, keyId), keyId, refused.Code.StatusCode, refused.Code.Name, refused.Message);
            throw refused;
        }

        throttle.Succeeded(key.AccessKeyId, address);

        // The browser's cookie is about to name the new session: the one it named before is over.
        if (context.Request.Cookies[ConsoleSessionAuthenticator.CookieName] is { } previous)
        {
            sessions.Remove(previous);
        }

        var session = sessions.Create(key.AccessKeyId);
        context.Response.Cookies.Append(ConsoleSessionAuthenticator.CookieName, session.Id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = session.ExpiresAt,
        });
        Audit(context, key.AccountId, key.AccessKeyId, StatusCodes.Status200OK, "", "");
        return Results.Json(Describe(key.AccountId, key.AccessKeyId, key.Policy, session.CsrfToken));
    }

    /// <summary>Who the browser is signed in as, with the CSRF token (only a same-origin script can read this answer).</summary>
    public async Task<IResult> CurrentAsync(HttpContext context)
    {
        if (auth.Value.Mode == AuthMode.None)
        {
            return Results.Json(Describe(mesh.Value.AccountId, "", KeyPolicy.Admin, ""));
        }

        var session = sessions.Find(context.Request.Cookies[ConsoleSessionAuthenticator.CookieName]);
        var key = session is null ? null : await keys.FindActiveAsync(session.AccessKeyId, context.RequestAborted);
        if (session is null || key is null)
        {
            throw new AppMeshException(new ErrorCode(AuthFailure.UnrecognizedClient, 403), "Not signed in to the console.");
        }

        return Results.Json(Describe(key.AccountId, key.AccessKeyId, key.Policy, session.CsrfToken));
    }

    /// <summary>
    /// Signs this browser out: its cookie is always expired, so a page holding a stale token (another tab signed in
    /// since) still leaves the browser signed out. The session itself is ended only by a caller that shows its CSRF
    /// token; without it the answer is 403, and the session lives on for whoever holds its id.
    /// </summary>
    public IResult SignOut(HttpContext context)
    {
        context.Response.Cookies.Delete(ConsoleSessionAuthenticator.CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true, Secure = context.Request.IsHttps });
        if (sessions.Find(context.Request.Cookies[ConsoleSessionAuthenticator.CookieName]) is { } session)
        {
            if (!ConsoleSessionAuthenticator.TokenMatches(session.CsrfToken, context.Request.Headers[ConsoleSessionAuthenticator.CsrfHeader].ToString()))
            {
                throw new AppMeshException(ErrorCode.Forbidden,
                    $"The session was not ended: signing out must carry the session's {ConsoleSessionAuthenticator.CsrfHeader} header. This browser's cookie for it was removed.");
            }

            sessions.Remove(session.Id);
        }

        return Results.NoContent();
    }

    private object Describe(string accountId, string accessKeyId, KeyPolicy policy, string csrfToken) => new
    {
        accountId,
        accessKeyId,
        region = mesh.Value.Region,
        csrfToken,
        canWrite = ConsoleEndpoints.CanWrite(policy, model),
        policy = policy.Summary,
        authMode = auth.Value.Mode.ToString(),
    };

    /// <summary>
    /// The account a refused sign-in is audited under: the key's, so its owner sees the attempts, up to the limit
    /// <see cref="SignInThrottle.MayAttribute"/> sets per key id; past it, none (host-wide), so nobody who knows a key
    /// id can bury its owner's audit log.
    /// </summary>
    private string AttributedAccount(ActiveKey? key, string keyId) =>
        key is not null && throttle.MayAttribute(keyId) ? key.AccountId : "";

    private void Audit(HttpContext context, string accountId, string keyId, int status, string errorCode, string message) =>
        audit.Enqueue(AuditRecords.Create(clock.GetUtcNow(), accountId, keyId, Action, "", context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString() ?? "", status, errorCode, message));

    private sealed record SignInRequest(string? AccessKeyId, string? SecretAccessKey);
}
