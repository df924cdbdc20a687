using Mesh.Security;

namespace Mesh.Security.Tests;

/// <summary>
/// The Authorization header's Credential and SignedHeaders are parsed once per text and kept
/// (<see cref="SigV4Authorization"/>): a header seen again gives the same parts, any other text its own, and a text
/// that does not parse is refused every time, whatever was kept before.
/// </summary>
public sealed class SigV4AuthorizationCacheTests
{
    private static string Header(string key, string date, string signedHeaders, string signature) =>
        $"AWS4-HMAC-SHA256 Credential={key}/{date}/us-east-1/appmesh/aws4_request, SignedHeaders={signedHeaders}, Signature={signature}";

    [Fact]
    public void TheSameTexts_GiveTheSameParts_AndEachCallItsOwnSignature()
    {
        var first = SigV4Authorization.TryParse(Header("AKIDCACHE1", "20261130", "host;x-amz-date", "aa11"), out var problem1)!;
        var second = SigV4Authorization.TryParse(Header("AKIDCACHE1", "20261130", "host;x-amz-date", "bb22"), out var problem2)!;

        Assert.Null(problem1);
        Assert.Null(problem2);
        Assert.Equal("aa11", first.Signature);
        Assert.Equal("bb22", second.Signature);
        foreach (var parsed in new[] { first, second })
        {
            Assert.Equal("AKIDCACHE1", parsed.AccessKeyId);
            Assert.Equal("20261130", parsed.Date);
            Assert.Equal("us-east-1", parsed.Region);
            Assert.Equal("appmesh", parsed.Service);
            Assert.Equal("aws4_request", parsed.Terminator);
            Assert.Equal("20261130/us-east-1/appmesh/aws4_request", parsed.Scope);
            Assert.Equal(["host", "x-amz-date"], parsed.SignedHeaders);
        }

        Assert.Same(first.SignedHeaders, second.SignedHeaders);
        Assert.Same(first.Scope, second.Scope);
    }

    [Fact]
    public void AnotherKeyDateOrHeaderList_GivesItsOwnParts()
    {
        _ = SigV4Authorization.TryParse(Header("AKIDCACHE2", "20261130", "host;x-amz-date", "s"), out _);

        var otherKey = SigV4Authorization.TryParse(Header("AKIDCACHE3", "20261130", "host;x-amz-date", "s"), out _)!;
        var otherDate = SigV4Authorization.TryParse(Header("AKIDCACHE2", "20261201", "host;x-amz-date", "s"), out _)!;
        var otherHeaders = SigV4Authorization.TryParse(Header("AKIDCACHE2", "20261130", "content-type;host;x-amz-date", "s"), out _)!;

        Assert.Equal("AKIDCACHE3", otherKey.AccessKeyId);
        Assert.Equal("20261201/us-east-1/appmesh/aws4_request", otherDate.Scope);
        Assert.Equal(["content-type", "host", "x-amz-date"], otherHeaders.SignedHeaders);
        Assert.Equal("AKIDCACHE2", otherHeaders.AccessKeyId);
    }

    [Fact]
    public void TextsThatDoNotParse_AreRefusedEveryTime_AfterSimilarOnesWereKept()
    {
        _ = SigV4Authorization.TryParse(Header("AKIDCACHE4", "20261130", "host;x-amz-date", "s"), out _);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(SigV4Authorization.TryParse(Header("AKIDCACHE4", "", "host;x-amz-date", "s"), out var badCredential));
            Assert.Equal("Credential must have the form <access key>/<yyyyMMdd>/<region>/<service>/aws4_request.", badCredential);
            Assert.Null(SigV4Authorization.TryParse(Header("AKIDCACHE4", "20261130", "Host;x-amz-date", "s"), out var badHeaders));
            Assert.Equal("SignedHeaders must be lower-case header names separated by ';'.", badHeaders);
        }
    }

    [Fact]
    public void MoreTextsThanTheCacheHolds_AreEachParsedAsThemselves()
    {
        for (var i = 0; i < 2_500; i++)
        {
            var parsed = SigV4Authorization.TryParse(Header($"AKIDMANY{i}", "20261130", $"host;x-amz-date;x-h{i}", "s"), out _)!;
            Assert.Equal($"AKIDMANY{i}", parsed.AccessKeyId);
            Assert.Equal($"x-h{i}", parsed.SignedHeaders[2]);
        }

        var long_ = new string('k', 600);
        Assert.Equal(long_, SigV4Authorization.TryParse(Header(long_, "20261130", "host", "s"), out _)!.AccessKeyId);
    }
}
