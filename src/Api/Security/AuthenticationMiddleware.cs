using Mesh.Security;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Mesh.Api.Protocol;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Security;

/// <summary>
/// Authenticates every App Mesh API request with SigV4 (or, when explicitly configured, lets it act as
/// the default account), then applies the per-account request rate. Nothing is read or changed for a
/// request that fails here.
/// </summary>
public sealed class AuthenticationMiddleware : IDisposable
{
    public const string ApiPrefix = "/v20190125";

    private readonly RequestDelegate next;
    private readonly AuthOptions auth;
    private readonly MeshApiOptions mesh;
    private readonly SigV4Verifier verifier;
    private readonly IServiceProvider services;
    private readonly PartitionedRateLimiter<string> rateLimiter;

    public AuthenticationMiddleware(RequestDelegate next, IOptions<AuthOptions> auth, IOptions<MeshApiOptions> mesh, TimeProvider clock, IServiceProvider services)
    {
        this.next = next;
        this.auth = auth.Value;
        this.mesh = mesh.Value;
        this.services = services;
        verifier = new SigV4Verifier(this.mesh.Region, "appmesh", clock);
        rateLimiter = PartitionedRateLimiter.Create<string, string>(account => RateLimitPartition.GetTokenBucketLimiter(account, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, this.auth.Burst),
            TokensPerPeriod = Math.Max(1, this.auth.RequestsPerSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var caller = auth.Mode == AuthMode.None
            ? new Caller(mesh.AccountId, "", KeyPolicy.Admin)
            : await AuthenticateAsync(context);

        using var lease = rateLimiter.AttemptAcquire(caller.AccountId);
        if (!lease.IsAcquired)
        {
            context.Response.Headers.RetryAfter = "1";
            throw new AppMeshException(ErrorCode.TooManyRequests,
                $"Account {caller.AccountId} is over its limit of {auth.RequestsPerSecond} requests per second; retry with backoff.");
        }

        caller.AttachTo(context);
        await next(context);
    }

    public void Dispose() => rateLimiter.Dispose();

    private async Task<Caller> AuthenticateAsync(HttpContext context)
    {
        var request = await ReadSignedRequestAsync(context);
        var keys = services.GetRequiredService<AccessKeyStore>();
        ActiveKey? key = null;
        try
        {
            await verifier.VerifyAsync(request, async (id, ct) => (key = await keys.FindActiveAsync(id, ct))?.Secret, context.RequestAborted);
        }
        catch (AuthFailure failure)
        {
            throw new AppMeshException(new ErrorCode(failure.Code, failure.HttpStatus), failure.Message);
        }

        return new Caller(key!.AccountId, key.AccessKeyId, key.Policy);
    }

    /// <summary>The request as signed: raw target, headers, and the body's hash (the body is buffered and rewound for the endpoint).</summary>
    private static async Task<SignedRequest> ReadSignedRequestAsync(HttpContext context)
    {
        var http = context.Request;
        http.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: RequestBinder.MaxBodyBytes);
        string payloadHash;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await http.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }

            payloadHash = SigV4.Hex(sha.GetHashAndReset());
        }

        http.Body.Position = 0;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.PathBase + http.Path + http.QueryString).ToString();
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var headers = http.Headers.ToDictionary(
            h => h.Key.ToLowerInvariant(),
            h => (IReadOnlyList<string>)h.Value.Select(v => v ?? "").ToList(),
            StringComparer.Ordinal);
        return new SignedRequest(
            http.Method,
            query < 0 ? target : target[..query],
            query < 0 ? "" : target[(query + 1)..],
            headers,
            payloadHash);
    }
}
