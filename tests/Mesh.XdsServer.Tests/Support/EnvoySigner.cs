using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Signs a gRPC call the way Envoy's <c>envoy.grpc_credentials.aws_iam</c> does (source/extensions/grpc_credentials/aws_iam,
/// common/aws/signer_impl): a POST of the call's path, headers host (the authority), x-amz-content-sha256 (the hash
/// of an empty body: sign_body is false) and x-amz-date, and the empty-body hash as payload hash. The headers
/// that are not pseudo-headers go out as call metadata. Written here from the specification, not with the
/// server's code, so that a shared mistake cannot hide.
/// </summary>
public static class EnvoySigner
{
    public const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public const string AdsPath = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

    public static Metadata Sign(
        string authority,
        string path,
        string accessKeyId,
        string secret,
        DateTimeOffset? at = null,
        string region = "us-east-1",
        string service = "appmesh",
        string? sessionToken = null)
    {
        var now = (at ?? DateTimeOffset.UtcNow).ToUniversalTime();
        var longDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var shortDate = longDate[..8];
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = authority,
            ["x-amz-content-sha256"] = EmptyHash,
            ["x-amz-date"] = longDate,
        };
        if (sessionToken is not null)
        {
            headers["x-amz-security-token"] = sessionToken;
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonical = $"POST\n{path}\n\n{string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n"))}\n{signedHeaders}\n{EmptyHash}";
        var scope = $"{shortDate}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{longDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), shortDate);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));

        var metadata = new Metadata
        {
            { "x-amz-content-sha256", EmptyHash },
            { "x-amz-date", longDate },
            { "authorization", $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}" },
        };
        if (sessionToken is not null)
        {
            metadata.Add("x-amz-security-token", sessionToken);
        }

        return metadata;
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
