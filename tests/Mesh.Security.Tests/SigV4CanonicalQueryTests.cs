using Mesh.Security;

namespace Mesh.Security.Tests;

/// <summary>
/// The canonical query of the canonical request: a query that is canonical already is copied, any other is decoded,
/// encoded and sorted. Both give what the sorting path alone gave for every query (the oracle below is that path).
/// </summary>
public sealed class SigV4CanonicalQueryTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("?", "")]
    [InlineData("limit=100", "limit=100")]
    [InlineData("?limit=100", "limit=100")]
    [InlineData("limit=100&nextToken=abc", "limit=100&nextToken=abc")]
    [InlineData("nextToken=abc&limit=100", "limit=100&nextToken=abc")]
    [InlineData("a", "a=")]
    [InlineData("a&b=1", "a=&b=1")]
    [InlineData("=x", "=x")]
    [InlineData("a=2&a=1", "a=1&a=2")]
    [InlineData("a=1&a=1", "a=1&a=1")]
    [InlineData("a=1&&b=2&", "a=1&b=2")]
    [InlineData("a=b=c", "a=b%3Dc")]
    [InlineData("nextToken=ab%2Bc%3D&limit=5", "limit=5&nextToken=ab%2Bc%3D")]
    [InlineData("k=%7e", "k=~")]
    [InlineData("k=a+b", "k=a%2Bb")]
    [InlineData("k=a%20b", "k=a%20b")]
    [InlineData("B=1&a=1", "B=1&a=1")]
    [InlineData("a=1&B=1", "B=1&a=1")]
    [InlineData("k=é", "k=%C3%A9")]
    public void CanonicalQuery_IsTheSortedEncodedPairs(string rawQuery, string expected)
    {
        Assert.Equal(expected, CanonicalQueryOf(rawQuery));
        Assert.Equal(Oracle(rawQuery), CanonicalQueryOf(rawQuery));
    }

    [Fact]
    public void CanonicalQuery_MatchesTheSortingPath_ForManyQueries()
    {
        // Pairs of characters that take either path: unreserved ones, escapes, '+', '=', '&', a space and a non-ASCII one.
        string[] parts = ["a", "b", "B", "limit", "100", "5", "", "~", "-_.", "%41", "%2B", "%3D", "+", "=", "&", " ", "é", "%zz"];
        var random = new Random(1425);
        for (var i = 0; i < 5_000; i++)
        {
            var query = string.Concat(Enumerable.Range(0, random.Next(1, 9)).Select(_ => parts[random.Next(parts.Length)]));
            Assert.Equal(Oracle(query), CanonicalQueryOf(query));
        }
    }

    [Fact]
    public void CanonicalQuery_ChangesTheSignature_WhenTheQueryDoes()
    {
        var key = SigV4.SigningKey("secret", "20150830", "us-east-1", "appmesh");
        Span<char> first = stackalloc char[64];
        Span<char> second = stackalloc char[64];
        SigV4.Sign(Request("limit=100"), ["host"], "20150830T123600Z", "20150830/us-east-1/appmesh/aws4_request", key, first);
        SigV4.Sign(Request("limit=101"), ["host"], "20150830T123600Z", "20150830/us-east-1/appmesh/aws4_request", key, second);
        Assert.False(first.SequenceEqual(second));
        SigV4.Sign(Request("limit=100"), ["host"], "20150830T123600Z", "20150830/us-east-1/appmesh/aws4_request", key, second);
        Assert.True(first.SequenceEqual(second));
    }

    private static string CanonicalQueryOf(string rawQuery) =>
        SigV4.CanonicalRequest(Request(rawQuery), ["host"]).Split('\n')[2];

    private static SignedRequest Request(string rawQuery) => new(
        "GET",
        "/v20190125/meshes",
        rawQuery,
        new Dictionary<string, IReadOnlyList<string>> { ["host"] = ["example.com"] },
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /// <summary>The canonical query as the verifier computed it for every query before the copy of canonical ones.</summary>
    private static string Oracle(string rawQuery)
    {
        var query = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        if (query.Length == 0)
        {
            return "";
        }

        return string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var kv = pair.Split('=', 2);
                return (Key: Encode(Uri.UnescapeDataString(kv[0])), Value: Encode(Uri.UnescapeDataString(kv.Length > 1 ? kv[1] : "")));
            })
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
    }

    private static string Encode(string value) => string.Concat(System.Text.Encoding.UTF8.GetBytes(value).Select(b =>
        (char)b is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~'
            ? ((char)b).ToString()
            : "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
