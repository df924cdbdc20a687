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

    /// <summary>Adds Host, X-Amz-Date and Authorization headers for the given key, scope and time.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string accessKeyId, string secret, string region, string service, DateTimeOffset at) =>
        Sign(request, body, accessKeyId, secret, new SigningKeyCache(region, service), at);

    /// <summary>
    /// As above, with signing keys taken from <paramref name="signingKeys"/> (its region and service): a client that signs
    /// many requests derives the key (four HMACs) once a day instead of on every request.
    /// </summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string accessKeyId, string secret, SigningKeyCache signingKeys, DateTimeOffset at)
    {
        var (region, service) = (signingKeys.Region, signingKeys.Service);
        var amzDate = at.ToString(SigV4.DateFormat, CultureInfo.InvariantCulture);
        var uri = request.RequestUri!;
        request.Headers.Host = uri.Authority;
        request.Headers.Remove("X-Amz-Date");
        request.Headers.Add("X-Amz-Date", amzDate);
        request.Headers.Remove("Authorization");

        var signedHeaders = new[] { "host", "x-amz-date" };
        var headers = new Dictionary<string, IReadOnlyList<string>>
        {
            ["host"] = [uri.Authority],
            ["x-amz-date"] = [amzDate],
        };
        var signed = new SignedRequest(request.Method.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, body.Length == 0 ? EmptyBodyHash : SigV4.Hex(SHA256.HashData(body)));
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var signature = SigV4.Signature(signingKeys.For(secret, date),
            SigV4.StringToSign(amzDate, scope, SigV4.CanonicalRequest(signed, signedHeaders)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4Authorization.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}");
    }
}
