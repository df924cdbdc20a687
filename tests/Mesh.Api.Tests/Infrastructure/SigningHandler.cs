using Mesh.Security;
using System.Globalization;
using System.Security.Cryptography;
using Mesh.Api.Security;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// Signs test requests with SigV4 as the AWS SDKs do. It shares the canonicalisation code with the
/// server, so it is not an independent check of it: that is what the botocore, CLI and JS SDK suites are for.
/// </summary>
public sealed class SigningHandler(string accessKeyId, string secret, string region, string service = "appmesh") : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Sign(request, body, accessKeyId, secret, region, service, DateTimeOffset.UtcNow);
        return await base.SendAsync(request, cancellationToken);
    }

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
            $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}");
    }
}
