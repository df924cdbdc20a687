using Mesh.Api.Protocol;

namespace Mesh.Api.Tests;

/// <summary>
/// A query's escapes are decoded on the stack when short and into a pooled array when long; both must judge alike,
/// and a problem at the end of a long name or value must be found.
/// </summary>
public sealed class RawQueryEscapesTests
{
    private static readonly string LongValid = string.Concat(Enumerable.Repeat("%C3%A9", 300)); // 1,800 characters, 600 bytes decoded

    [Theory]
    [InlineData("limit=5")]
    [InlineData("nextToken=%C3%A9")]
    [InlineData("a%20b=c%2Fd&e=%E2%82%AC")]
    public void A_Query_That_Decodes_Has_No_Problem(string query) => Assert.Null(RawQueryEscapes.Problem(query));

    [Fact]
    public void A_Long_Value_That_Decodes_Has_No_Problem() => Assert.Null(RawQueryEscapes.Problem("nextToken=" + LongValid));

    [Theory]
    [InlineData("%FF", "its escapes are not UTF-8")]
    [InlineData("%C3", "its escapes are not UTF-8")]
    [InlineData("%4", "a '%' is not followed by two hexadecimal digits")]
    [InlineData("%G1", "a '%' is not followed by two hexadecimal digits")]
    public void A_Long_Value_Whose_Last_Escape_Is_Bad_Is_Named(string end, string why)
    {
        var problem = RawQueryEscapes.Problem("limit=5&nextToken=" + LongValid + end);

        Assert.NotNull(problem);
        Assert.StartsWith("The query string's parameter \"nextToken\" has a value whose percent-encoding is not valid", problem);
        Assert.EndsWith($": {why}. Send it percent-encoded as UTF-8.", problem);
    }

    [Fact]
    public void A_Long_Name_Whose_Last_Escape_Is_Bad_Is_Named()
    {
        var problem = RawQueryEscapes.Problem(LongValid + "%FF=1");

        Assert.NotNull(problem);
        Assert.StartsWith("The query string has a parameter name whose percent-encoding is not valid", problem);
        Assert.EndsWith(": its escapes are not UTF-8. Send names and values percent-encoded as UTF-8.", problem);
    }
}
