using System.Globalization;
using System.Security.Cryptography;

namespace Mesh.Security;

/// <summary>
/// Signs a request with SigV4 as the AWS SDKs do (host and x-amz-date signed, the body hashed). For Mesh's own
/// clients (load benchmarks, tests); it shares the canonicalisation with the verifier, so it is no independent
/// check of it: the AWS CLI, botocore and JS SDK suites are.
/// </summary>
public static class SigV4Signer
{
    private static readonly string EmptyBodyHash = SigV4.Hex(SHA256.HashData([]));

    private static readonly string[] SignedHeaders = ["host", "x-amz-date"];

    private static readonly string SignedHeaderList = string.Join(';', SignedHeaders);

    /// <summary>The last second signed at, with its texts: every request signed within one second shares them.</summary>
    private static SigningSecond? lastSecond;

    /// <summary>Adds Host, X-Amz-Date and Authorization headers for the given key, scope and time.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string accessKeyId, string secret, string region, string service, DateTimeOffset at) =>
        Sign(request, body, accessKeyId, secret, new SigningKeyCache(region, service), at);

    /// <summary>
    /// As above, with signing keys taken from <paramref name="signingKeys"/> (its region and service): a client that signs
    /// many requests derives the key (four HMACs) once a day instead of on every request.
    /// </summary>
    /// <remarks>
    /// The signature is computed as the verifier computes it (<see cref="SigV4.Sign"/>: pooled text and the thread's
    /// kept hashers), and the date's texts are made once a second: the load client signs every call on the cores the
    /// API is measured on, and the string-by-string computation (the canonical request, its bytes, the string to sign,
    /// and an OpenSSL context made and freed for each of the two hashes) was about half of its CPU per Describe
    /// (docs/benchmarks.md, issue14aq). The headers it adds are the same.
    /// </remarks>
    public static void Sign(HttpRequestMessage request, byte[] body, string accessKeyId, string secret, SigningKeyCache signingKeys, DateTimeOffset at)
    {
        var second = SecondOf(at, signingKeys);
        var uri = request.RequestUri!;
        var host = uri.Authority;
        request.Headers.Host = host;
        request.Headers.Remove("X-Amz-Date");
        request.Headers.Add("X-Amz-Date", second.AmzDate);
        request.Headers.Remove("Authorization");

        var headers = new Dictionary<string, IReadOnlyList<string>>(2)
        {
            ["host"] = [host],
            ["x-amz-date"] = second.AmzDateValues,
        };
        var signed = new SignedRequest(request.Method.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, body.Length == 0 ? EmptyBodyHash : SigV4.Hex(SHA256.HashData(body)));
        Span<char> signature = stackalloc char[SigV4.SignatureBytes * 2];
        SigV4.Sign(signed, SignedHeaders, second.AmzDate, second.Scope, signingKeys.For(secret, second.Date), signature);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4Authorization.Algorithm} Credential={accessKeyId}/{second.Scope}, SignedHeaders={SignedHeaderList}, Signature={signature}");
    }

    /// <summary>The texts of <paramref name="at"/>'s second for the cache's region and service, made again only when either changes.</summary>
    private static SigningSecond SecondOf(DateTimeOffset at, SigningKeyCache signingKeys)
    {
        var utc = at.UtcDateTime;
        var whole = utc.Ticks / TimeSpan.TicksPerSecond;
        var last = Volatile.Read(ref lastSecond);
        if (last is not null && last.Second == whole && last.Region == signingKeys.Region && last.Service == signingKeys.Service)
        {
            return last;
        }

        var amzDate = utc.ToString(SigV4.DateFormat, CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var made = new SigningSecond(whole, signingKeys.Region, signingKeys.Service, amzDate, [amzDate], date, $"{date}/{signingKeys.Region}/{signingKeys.Service}/aws4_request");
        Volatile.Write(ref lastSecond, made);
        return made;
    }

    /// <summary>One second's X-Amz-Date (and as the one value of the signed header), its date and the credential scope.</summary>
    private sealed record SigningSecond(long Second, string Region, string Service, string AmzDate, IReadOnlyList<string> AmzDateValues, string Date, string Scope);
}
