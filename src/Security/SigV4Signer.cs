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
    /// <summary>Adds Host, X-Amz-Date and Authorization headers for the given key, scope and time.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string accessKeyId, string secret, string region, string service, DateTimeOffset at)
    {
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
        var signed = new SignedRequest(request.Method.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, SigV4.Hex(SHA256.HashData(body)));
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var signature = SigV4.Signature(SigV4.SigningKey(secret, date, region, service),
            SigV4.StringToSign(amzDate, scope, SigV4.CanonicalRequest(signed, signedHeaders)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4Authorization.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}");
    }
}
