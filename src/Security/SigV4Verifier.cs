using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.Security;

/// <summary>
/// Verifies a Signature Version 4 request: header syntax, credential scope (date, region, service),
/// a 15-minute clock-skew window, and the signature itself, compared in constant time.
/// </summary>
public sealed class SigV4Verifier(string region, string service, TimeProvider clock)
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    private readonly SigningKeyCache signingKeys = new(region, service);

    /// <summary>Returns the authorization on success; throws an <see cref="AuthFailure"/> that says what failed.</summary>
    public async Task<SigV4Authorization> VerifyAsync(SignedRequest request, Func<string, CancellationToken, Task<string?>> findSecret, CancellationToken ct)
    {
        var header = request.Header("authorization");
        if (string.IsNullOrEmpty(header))
        {
            throw new AuthFailure(AuthFailure.MissingToken, "Missing Authentication Token: the request carries no SigV4 Authorization header.");
        }

        var authorization = SigV4Authorization.TryParse(header, out var problem)
            ?? throw new AuthFailure(AuthFailure.IncompleteSignature, problem!);

        foreach (var required in new[] { "host", "x-amz-date" })
        {
            if (!authorization.SignedHeaders.Contains(required) && !(required == "x-amz-date" && authorization.SignedHeaders.Contains("date")))
            {
                throw new AuthFailure(AuthFailure.IncompleteSignature, $"SignedHeaders must include '{required}'.");
            }
        }

        var amzDate = request.Header("x-amz-date");
        if (amzDate is null || !DateTimeOffset.TryParseExact(amzDate, SigV4.DateFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
        {
            throw new AuthFailure(AuthFailure.IncompleteSignature, "The request needs an X-Amz-Date header in the form yyyyMMddTHHmmssZ.");
        }

        var now = clock.GetUtcNow();
        if (signedAt < now - MaxSkew || signedAt > now + MaxSkew)
        {
            var window = $"{(now - MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)} - {(now + MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)}";
            throw new AuthFailure(AuthFailure.InvalidSignature,
                $"Signature expired: {amzDate} is outside the allowed window ({window}); check the client's clock.");
        }

        if (authorization.Date != amzDate[..8])
        {
            throw new AuthFailure(AuthFailure.InvalidSignature,
                $"Credential should be scoped to the request date {amzDate[..8]}, not '{authorization.Date}'.");
        }

        if (authorization.Region != region)
        {
            throw new AuthFailure(AuthFailure.InvalidSignature, $"Credential should be scoped to a valid region, '{region}', not '{authorization.Region}'.");
        }

        if (authorization.Service != service)
        {
            throw new AuthFailure(AuthFailure.InvalidSignature, $"Credential should be scoped to correct service: '{service}', not '{authorization.Service}'.");
        }

        if (authorization.Terminator != "aws4_request")
        {
            throw new AuthFailure(AuthFailure.InvalidSignature, $"Credential should be scoped with a valid terminator: 'aws4_request', not '{authorization.Terminator}'.");
        }

        var claimedPayload = request.Header("x-amz-content-sha256");
        if (claimedPayload is not null && claimedPayload != request.PayloadHash)
        {
            throw new AuthFailure(AuthFailure.InvalidSignature, "The x-amz-content-sha256 header does not match the SHA-256 of the request body.");
        }

        var secret = await findSecret(authorization.AccessKeyId, ct)
            ?? throw new AuthFailure(AuthFailure.UnrecognizedClient, $"The security token included in the request is invalid: access key '{authorization.AccessKeyId}' is unknown or revoked.");

        var canonical = SigV4.CanonicalRequest(request, authorization.SignedHeaders);
        var stringToSign = SigV4.StringToSign(amzDate, authorization.Scope, canonical);
        var expected = SigV4.Signature(signingKeys.For(secret, authorization.Date), stringToSign);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(authorization.Signature)))
        {
            throw new AuthFailure(AuthFailure.InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        }

        return authorization;
    }
}
