using System.Globalization;
using System.Security.Cryptography;
using System.Runtime.InteropServices;

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

        if (!authorization.SignedHeaders.Contains("host"))
        {
            throw new AuthFailure(AuthFailure.IncompleteSignature, "SignedHeaders must include 'host'.");
        }

        if (!authorization.SignedHeaders.Contains("x-amz-date") && !authorization.SignedHeaders.Contains("date"))
        {
            throw new AuthFailure(AuthFailure.IncompleteSignature, "SignedHeaders must include 'x-amz-date'.");
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

        if (!amzDate.AsSpan(0, 8).SequenceEqual(authorization.Date))
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

        if (!SignatureMatches(request, authorization, amzDate, signingKeys.For(secret, authorization.Date)))
        {
            throw new AuthFailure(AuthFailure.InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        }

        return authorization;
    }

    /// <summary>
    /// Whether the signature the request carries is the one its canonical form and the key give, compared in constant
    /// time. Any character that is not the expected lower-case hex fails, as it did when both were compared as ASCII.
    /// </summary>
    private static bool SignatureMatches(SignedRequest request, SigV4Authorization authorization, string amzDate, byte[] signingKey)
    {
        Span<char> expected = stackalloc char[64];
        SigV4.Sign(request, authorization.SignedHeaders, amzDate, authorization.Scope, signingKey, expected);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes<char>(expected), MemoryMarshal.AsBytes(authorization.Signature.AsSpan()));
    }
}
