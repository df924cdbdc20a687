using Mesh.Security;
using System.Diagnostics;
using System.Security.Cryptography;
using Mesh.Api.Observability;
using Mesh.Api.CloudMap;
using Mesh.Api.WebConsole;
using Mesh.Api.Protocol;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Security;

/// <summary>
/// Authenticates every App Mesh, Cloud Map and STS API request with SigV4 (service <c>appmesh</c> under
/// <see cref="ApiPrefix"/>, <c>servicediscovery</c> for <c>POST /</c> with a Cloud Map X-Amz-Target, <c>sts</c> for
/// <c>POST /</c> with a form), or, when
/// explicitly configured, lets it act as the default account, then applies the per-account request rate, shared
/// by both APIs. Nothing is read or changed for a
/// request that fails here; the refusal itself is counted in mesh_api_calls_total and written to the audit
/// log with the key id the request claimed, the reason and the source address.
/// </summary>
public sealed class AuthenticationMiddleware
{
    public const string ApiPrefix = "/v20190125";

    private readonly RequestDelegate next;
    private readonly AuthOptions auth;
    private readonly MeshApiOptions mesh;
    private readonly SigV4Verifier verifier;
    private readonly SigV4Verifier cloudMapVerifier;
    private readonly SigV4Verifier stsVerifier;
    private readonly IServiceProvider services;
    private readonly TimeProvider clock;
    private readonly AccountRateLimiter rateLimiter;

    public AuthenticationMiddleware(RequestDelegate next, IOptions<AuthOptions> auth, IOptions<MeshApiOptions> mesh, TimeProvider clock, IServiceProvider services)
    {
        this.next = next;
        this.clock = clock;
        this.auth = auth.Value;
        this.mesh = mesh.Value;
        this.services = services;
        verifier = new SigV4Verifier(this.mesh.Region, "appmesh", clock);
        cloudMapVerifier = new SigV4Verifier(this.mesh.Region, CloudMapRequest.SigningName, clock);
        stsVerifier = new SigV4Verifier(this.mesh.Region, Sts.StsRequest.SigningName, clock);
        rateLimiter = new AccountRateLimiter(this.auth.RequestsPerSecond, this.auth.Burst, clock);
    }

    public Task InvokeAsync(HttpContext context)
    {
        // Cloud Map and STS calls are POST / (their operation is in a header or the form), signed for their own service.
        var rootVerifier = CloudMapRequest.Is(context.Request) ? cloudMapVerifier : Sts.StsRequest.Is(context.Request) ? stsVerifier : null;
        var atRoot = rootVerifier is not null;
        // Without regard to case, as routing matches paths: "/V20190125/meshes" reaches ListMeshes too, and must not
        // reach it unauthenticated.
        if (!atRoot && !context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase)
            && !context.Request.Path.StartsWithSegments(ConsoleEndpoints.ApiPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        if (!atRoot && RawPathSegments.Problem(context) is { } problem)
        {
            // Refused before the operation routing chose runs: for the path as sent, it is the wrong one.
            var refused = AppMeshException.BadRequest(problem);
            context.SetEndpoint(null);
            RecordRefusal(context, "", ClaimedKeyId(context.Request), refused, Stopwatch.GetTimestamp());
            throw refused;
        }

        if (RawQueryEscapes.Problem(context) is { } badQuery)
        {
            // Refused before the signature is checked: SigV4 signs the query decoded and encoded again, and this one
            // cannot be decoded, so no signature over it could be told right or wrong.
            var refused = AppMeshException.BadRequest(badQuery);
            RecordRefusal(context, "", ClaimedKeyId(context.Request), refused, Stopwatch.GetTimestamp());
            throw refused;
        }

        if (CloudMapRequest.Is(context.Request) && CloudMapRequest.NamesNonAsciiOperation(context.Request))
        {
            // Unknown whoever signed it, and the one answer the signers' differing canonical forms cannot blur.
            var unknown = new AppMeshException(CloudMapErrors.UnknownOperationCode,
                $"X-Amz-Target names no Cloud Map operation: '{RequestBinder.Printable(CloudMapRequest.OperationName(context.Request))}'.");
            RecordRefusal(context, "", ClaimedKeyId(context.Request), unknown, Stopwatch.GetTimestamp());
            throw unknown;
        }

        // A warm call's key is cached and its signature checked without waiting: the rest of the call then runs with
        // no frame of this middleware's to resume on its way back (issue14am). Only a call that waited (a key read from
        // the database, a body still arriving) is awaited here before it goes on.
        var admitted = AdmitAsync(context, rootVerifier ?? verifier);
        if (admitted.IsCompletedSuccessfully)
        {
            admitted.Result.AttachTo(context);
            return next(context);
        }

        return ContinueAsync(admitted, context);
    }

    private async Task ContinueAsync(ValueTask<Caller> admitting, HttpContext context)
    {
        (await admitting).AttachTo(context);
        await next(context);
    }

    /// <summary>The caller the request is authenticated as and within its rate, or the refusal, recorded and thrown.</summary>
    private async ValueTask<Caller> AdmitAsync(HttpContext context, SigV4Verifier signedFor)
    {
        var started = Stopwatch.GetTimestamp();
        Caller caller;
        try
        {
            caller = auth.Mode == AuthMode.None
                ? new Caller(mesh.AccountId, "", KeyPolicy.Admin)
                : ConsoleSessionAuthenticator.Carries(context.Request)
                    // The web console's calls: its session stands for the key it was signed in with.
                    ? await services.GetRequiredService<ConsoleSessionAuthenticator>().AuthenticateAsync(context)
                    : await AuthenticateAsync(context, signedFor);
        }
        catch (Exception error) when (ApiFailures.Answer(context, error) is { } refused)
        {
            // Refused (a bad signature, an unknown key) or unable to check (the database is away). A console call's
            // refusal is recorded under its session's key and account, when they are known.
            var session = context.Features.Get<ConsoleSessionKey>();
            RecordRefusal(context, session?.AccountId ?? "", session?.AccessKeyId ?? ClaimedKeyId(context.Request), refused, started);
            throw;
        }

        if (!rateLimiter.TryAcquire(caller.AccountId))
        {
            context.Response.Headers.RetryAfter = "1";
            var throttled = new AppMeshException(ErrorCode.TooManyRequests,
                $"Account {caller.AccountId} is over its limit of {auth.RequestsPerSecond} requests per second; retry with backoff.");
            RecordRefusal(context, caller.AccountId, caller.AccessKeyId, throttled, started);
            throw throttled;
        }

        return caller;
    }

    private void RecordRefusal(HttpContext context, string accountId, string accessKeyId, AppMeshException refused, long started)
    {
        // Routing ran before this middleware, so the endpoint (named after its operation) is known even though
        // the operation will not run; a path no operation is bound to is recorded by its method and path.
        // A Cloud Map call is named by its X-Amz-Target, its action's service prefix included.
        // The metric's operation label is a known operation's name or "UnknownOperation": the path and the header are
        // the caller's text (the audit record keeps them), and a label for each would grow the metrics without bound.
        // An STS call is named by the Action of its form when SigV4 read the body before refusing it.
        var cloudMap = CloudMapRequest.Is(context.Request);
        var sts = Sts.StsRequest.Is(context.Request);
        var endpoint = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
        var action = sts ? Sts.StsRequest.MetricAction(Sts.StsRequest.ActionOf(context))
            : cloudMap ? ApiCall.ActionOf(CloudMapRequest.OperationName(context.Request), CloudMapRequest.ActionService)
            : ApiCall.ActionOf(endpoint ?? $"{context.Request.Method} {context.Request.Path}");
        var operation = sts ? action
            : cloudMap ? CloudMapRequest.MetricAction(CloudMapRequest.OperationName(context.Request))
            : endpoint ?? ApiMetrics.UnknownOperation;
        services.GetRequiredService<ApiMetrics>().Record(operation, refused.Code.StatusCode, refused.Code.Name, Stopwatch.GetElapsedTime(started));
        services.GetRequiredService<AuditLog>().Enqueue(AuditRecords.Create(
            clock.GetUtcNow(), accountId, accessKeyId, action, "", context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString() ?? "", refused.Code.StatusCode, refused.Code.Name, refused.Message));
    }

    /// <summary>The access key id a request claims (Authorization header or presigned query), whether or not it exists.</summary>
    private static string ClaimedKeyId(HttpRequest request)
    {
        var credential = request.Headers.Authorization.ToString() is { Length: > 0 } header
            && header.IndexOf("Credential=", StringComparison.Ordinal) is var at and >= 0
                ? header[(at + "Credential=".Length)..]
                : request.Query["X-Amz-Credential"].ToString();
        var end = credential.IndexOfAny(['/', ',', ' ']);
        return end < 0 ? credential : credential[..end];
    }

    /// <summary>The key store's <see cref="AccessKeyStore.FindActiveForCallAsync"/>, resolved and made once (not per call).</summary>
    private Func<string, CancellationToken, ValueTask<ActiveKey?>>? findKey;

    /// <remarks>
    /// A warm call (its body read, its key cached) completes without waiting, and then without a task or a closure
    /// on the way: the request, the key and the verification are value tasks, the key comes back with the
    /// authorization (issue14ao).
    /// </remarks>
    private async ValueTask<Caller> AuthenticateAsync(HttpContext context, SigV4Verifier signatureVerifier)
    {
        var request = await ReadSignedRequestAsync(context);
        findKey ??= services.GetRequiredService<AccessKeyStore>().FindActiveForCallAsync;
        ActiveKey key;
        try
        {
            (_, key) = await signatureVerifier.VerifyAsync(request, findKey, static key => key.Secret, context.RequestAborted);
        }
        catch (AuthFailure failure)
        {
            throw new AppMeshException(new ErrorCode(failure.Code, failure.HttpStatus), failure.Message);
        }

        return new Caller(key.AccountId, key.AccessKeyId, key.Policy);
    }

    /// <summary>SHA-256 of an empty body, the payload hash of every GET and DELETE.</summary>
    private static readonly string EmptyPayloadHash = SigV4.Hex(SHA256.HashData([]));

    /// <summary>The request as signed: raw target, headers, and the body's hash (the body is buffered and rewound for the endpoint).</summary>
    private static async ValueTask<SignedRequest> ReadSignedRequestAsync(HttpContext context)
    {
        var http = context.Request;
        var payloadHash = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false
            // Kestrel knows there is no body (no Content-Length, or 0, and not chunked): nothing to read or buffer.
            ? EmptyPayloadHash
            : await HashBodyAsync(context);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.PathBase + http.Path + http.QueryString).ToString();
        if (!target.StartsWith('/') && Uri.TryCreate(target, UriKind.Absolute, out var absolute))
        {
            // Absolute form (a client sending through an HTTP proxy, e.g. to reach Cloud Map's data- host): the
            // client signed the path and query, not the scheme and authority.
            target = absolute.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        return new SignedRequest(
            http.Method,
            query < 0 ? target : target[..query],
            query < 0 ? "" : target[(query + 1)..],
            new SignedHeaders(http.Headers),
            payloadHash);
    }

    /// <summary>The SHA-256 of the body, read once (<see cref="RequestBody"/>) and kept for the endpoint.</summary>
    private static async Task<string> HashBodyAsync(HttpContext context)
    {
        var body = await RequestBody.OfAsync(context, context.RequestAborted);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body.Span, hash);
        return Convert.ToHexStringLower(hash);
    }
}
