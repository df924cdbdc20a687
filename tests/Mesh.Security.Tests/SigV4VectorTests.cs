using Mesh.Security;
using System.Globalization;

namespace Mesh.Security.Tests;

/// <summary>
/// Cases from AWS's public SigV4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1,
/// service "service"): the request facts and the signature AWS publishes for each.
/// </summary>
public sealed class SigV4VectorTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string AmzDate = "20150830T123600Z";
    private const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    [InlineData("get-vanilla", "GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("post-vanilla", "POST", "/", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    [InlineData("get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    public async Task Verifier_AcceptsThePublishedSignature(string name, string method, string path, string query, string signature)
    {
        var request = Request(method, path, query, signature);
        var verifier = new SigV4Verifier("us-east-1", "service", new FixedClock(AmzDate));
        var authorization = await verifier.VerifyAsync(request, (_, _) => Task.FromResult<string?>(Secret), CancellationToken.None);
        Assert.True(authorization.AccessKeyId == "AKIDEXAMPLE", name);
    }

    [Fact]
    public async Task Verifier_RejectsAFlippedSignatureBit()
    {
        var request = Request("GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30");
        var verifier = new SigV4Verifier("us-east-1", "service", new FixedClock(AmzDate));
        var error = await Assert.ThrowsAsync<AuthFailure>(() =>
            verifier.VerifyAsync(request, (_, _) => Task.FromResult<string?>(Secret), CancellationToken.None));
        Assert.Equal(AuthFailure.InvalidSignature, error.Code);
    }

    [Fact]
    public async Task Verifier_RejectsThePublishedSignatureInUpperCase()
    {
        var request = Request("GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".ToUpperInvariant());
        var verifier = new SigV4Verifier("us-east-1", "service", new FixedClock(AmzDate));
        var error = await Assert.ThrowsAsync<AuthFailure>(() =>
            verifier.VerifyAsync(request, (_, _) => Task.FromResult<string?>(Secret), CancellationToken.None));
        Assert.Equal(AuthFailure.InvalidSignature, error.Code);
    }

    [Fact]
    public void Sign_GivesWhatTheStepByStepComputationGives()
    {
        var request = Request("GET", "/", "Param2=value2&Param1=value1", "");
        string[] signedHeaders = ["host", "x-amz-date"];
        var key = SigV4.SigningKey(Secret, "20150830", "us-east-1", "service");
        var scope = "20150830/us-east-1/service/aws4_request";
        var signature = new char[64];

        SigV4.Sign(request, signedHeaders, AmzDate, scope, key, signature);

        Assert.Equal(SigV4.Signature(key, SigV4.StringToSign(AmzDate, scope, SigV4.CanonicalRequest(request, signedHeaders))), new string(signature));
        Assert.Equal("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", new string(signature));
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc, Signature=def, Extra=1", "abc", null)]
    [InlineData("AWS4-HMAC-SHA256   Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request ,SignedHeaders=host;x-amz-date,,Signature=abc ", "abc", null)]
    [InlineData("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", null, "Authorization header requires 'Credential' parameter.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature=abc", null, "Authorization header requires 'SignedHeaders' parameter.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host", null, "Authorization header requires 'Signature' parameter.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE//us-east-1/service/aws4_request, SignedHeaders=host, Signature=abc", null, "Credential must have the form <access key>/<yyyyMMdd>/<region>/<service>/aws4_request.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=Host;x-amz-date, Signature=abc", null, "SignedHeaders must be lower-case header names separated by ';'.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;;x-amz-date, Signature=abc", null, "SignedHeaders must be lower-case header names separated by ';'.")]
    public void Authorization_TakesTheFirstOfEachParameter_AndNamesWhatIsWrong(string header, string? signature, string? problem)
    {
        var parsed = SigV4Authorization.TryParse(header, out var found);

        Assert.Equal(signature, parsed?.Signature);
        Assert.Equal(problem, found);
        if (parsed is not null)
        {
            Assert.Equal(["host", "x-amz-date"], parsed.SignedHeaders);
            Assert.Equal("20150830/us-east-1/service/aws4_request", parsed.Scope);
        }
    }

    private static SignedRequest Request(string method, string path, string query, string signature) => new(
        method,
        path,
        query,
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["host"] = ["example.amazonaws.com"],
            ["x-amz-date"] = [AmzDate],
            ["authorization"] = [$"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"],
        },
        EmptyHash);

    private sealed class FixedClock(string amzDate) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() =>
            DateTimeOffset.ParseExact(amzDate, SigV4.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }
}
