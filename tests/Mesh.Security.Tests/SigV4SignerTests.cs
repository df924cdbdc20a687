using System.Globalization;
using System.Text;

namespace Mesh.Security.Tests;

/// <summary>
/// The signer Mesh's own clients (the load client, the tests' signing handler) sign with: the headers it adds must be
/// AWS's published ones for AWS's test cases, and follow the clock across seconds, days and scopes although it keeps
/// each second's texts.
/// </summary>
public sealed class SigV4SignerTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static readonly DateTimeOffset VectorTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    [InlineData("GET", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    public void Sign_WritesAwsPublishedSignature(string method, string pathAndQuery, string signature)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), "http://example.amazonaws.com" + pathAndQuery);

        SigV4Signer.Sign(request, [], "AKIDEXAMPLE", Secret, new SigningKeyCache("us-east-1", "service"), VectorTime);

        Assert.Equal("20150830T123600Z", Assert.Single(request.Headers.GetValues("X-Amz-Date")));
        Assert.Equal("example.amazonaws.com", request.Headers.Host);
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void Sign_FollowsTheClockAndTheScope_AcrossSecondsDaysAndRegions()
    {
        var keys = new SigningKeyCache("us-east-1", "appmesh");
        var otherRegion = new SigningKeyCache("eu-west-1", "appmesh");
        var start = new DateTimeOffset(2026, 12, 1, 23, 59, 59, 400, TimeSpan.Zero);
        var body = Encoding.UTF8.GetBytes("""{"meshName":"m"}""");

        // The same second twice, the next second (the next day too), then back in an earlier second and another
        // region within one second: each must carry its own time and scope.
        (SigningKeyCache Keys, DateTimeOffset At)[] signings =
        [
            (keys, start), (keys, start.AddMilliseconds(500)), (keys, start.AddSeconds(1)), (keys, start),
            (otherRegion, start), (keys, start),
        ];
        foreach (var (cache, at) in signings)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, "http://127.0.0.1:57880/v20190125/meshes?limit=5");

            SigV4Signer.Sign(request, body, "AKIDEXAMPLE", Secret, cache, at);

            var amzDate = at.UtcDateTime.ToString(SigV4.DateFormat, CultureInfo.InvariantCulture);
            Assert.Equal(amzDate, Assert.Single(request.Headers.GetValues("X-Amz-Date")));
            Assert.Equal(Expected(request, body, cache.Region, amzDate), Assert.Single(request.Headers.GetValues("Authorization")));
        }
    }

    /// <summary>The Authorization header computed string by string from the specification's steps, as the signer once did.</summary>
    private static string Expected(HttpRequestMessage request, byte[] body, string region, string amzDate)
    {
        var uri = request.RequestUri!;
        var headers = new Dictionary<string, IReadOnlyList<string>> { ["host"] = [uri.Authority], ["x-amz-date"] = [amzDate] };
        var signed = new SignedRequest("PUT", uri.AbsolutePath, uri.Query.TrimStart('?'), headers,
            SigV4.Hex(System.Security.Cryptography.SHA256.HashData(body)));
        var scope = $"{amzDate[..8]}/{region}/appmesh/aws4_request";
        var signature = SigV4.Signature(SigV4.SigningKey(Secret, amzDate[..8], region, "appmesh"),
            SigV4.StringToSign(amzDate, scope, SigV4.CanonicalRequest(signed, ["host", "x-amz-date"])));
        return $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}";
    }
}
