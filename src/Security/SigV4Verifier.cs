using System.Globalization;
using System.Security.Cryptography;

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
    public async Task<SigV4Authorization> VerifyAsync(SignedRequest request, Func<string, CancellationToken, Task<string?>> findSecret, CancellationToken ct) =>
        (await VerifyAsync(request, async (id, token) => await findSecret(id, token), static secret => secret, ct)).Authorization;

    /// <summary>
    /// Returns the authorization and the key it was signed with on success (<paramref name="findKey"/> finds the key a
    /// request names, null for none; <paramref name="secretOf"/> is its secret); throws an <see cref="AuthFailure"/>
    /// that says what failed. A call whose key is found without waiting is verified without a task (issue14ao).
    /// </summary>
    public async ValueTask<(SigV4Authorization Authorization, TKey Key)> VerifyAsync<TKey>(SignedRequest request,
        Func<string, CancellationToken, ValueTask<TKey?>> findKey, Func<TKey, string> secretOf, CancellationToken ct)
        where TKey : class
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
        if (amzDate is null || !TryParseDate(amzDate, out var signedAt))
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

        var key = await findKey(authorization.AccessKeyId, ct)
            ?? throw new AuthFailure(AuthFailure.UnrecognizedClient, $"The security token included in the request is invalid: access key '{authorization.AccessKeyId}' is unknown or revoked.");

        if (!SignatureMatches(request, authorization, amzDate, signingKeys.For(secretOf(key), authorization.Date)))
        {
            throw new AuthFailure(AuthFailure.InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        }

        return (authorization, key);
    }

    /// <summary>The last X-Amz-Date parsed, with its value: every client's calls in one second carry the same text.</summary>
    private sealed record ParsedDate(string Text, DateTimeOffset Value);

    private ParsedDate? lastDate;

    /// <summary>
    /// <paramref name="text"/> parsed as <see cref="SigV4.DateFormat"/>; the same text as the last one parsed gives its
    /// value without parsing it again (the parse was about 0.6% of a Describe's samples, issue14ak).
    /// </summary>
    private bool TryParseDate(string text, out DateTimeOffset value)
    {
        if (lastDate is { } last && string.Equals(last.Text, text, StringComparison.Ordinal))
        {
            value = last.Value;
            return true;
        }

        if (!DateTimeOffset.TryParseExact(text, SigV4.DateFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            return false;
        }

        lastDate = new ParsedDate(text, value);
        return true;
    }

    /// <summary>
    /// Whether the signature the request carries is the one its canonical form and the key give, compared in constant
    /// time. The claimed signature is read as exactly 64 lower-case hex characters (anything else fails, as it did when
    /// both were compared as text) and its 32 bytes compared with the HMAC's: <c>FixedTimeEquals</c> is not optimised
    /// (by design), and over the two texts' 128 bytes it was 1.6% of a Describe's samples (issue14ak).
    /// </summary>
    private static bool SignatureMatches(SignedRequest request, SigV4Authorization authorization, string amzDate, byte[] signingKey)
    {
        Span<byte> claimed = stackalloc byte[SigV4.SignatureBytes];
        if (!TryReadLowerHex(authorization.Signature, claimed))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SigV4.SignatureBytes];
        SigV4.SignatureDigest(request, authorization.SignedHeaders, amzDate, authorization.Scope, signingKey, expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>Reads <paramref name="hex"/> into <paramref name="bytes"/> when it is exactly twice their length of 0-9 and a-f.</summary>
    private static bool TryReadLowerHex(string hex, Span<byte> bytes)
    {
        if (hex.Length != bytes.Length * 2)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            var high = LowerHexDigit(hex[2 * i]);
            var low = LowerHexDigit(hex[2 * i + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            bytes[i] = (byte)(high << 4 | low);
        }

        return true;
    }

    private static int LowerHexDigit(char c) => c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;
}
