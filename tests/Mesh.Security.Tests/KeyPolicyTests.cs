namespace Mesh.Security.Tests;

/// <summary>What an access key may do: anything no statement allows is denied.</summary>
public sealed class KeyPolicyTests
{
    private const string Node = "arn:aws:appmesh:us-east-1:111122223333:mesh/prod/virtualNode/web";

    [Theory]
    [InlineData("appmesh:CreateMesh", "arn:aws:appmesh:us-east-1:111122223333:mesh/prod", true)]
    [InlineData("servicediscovery:RegisterInstance", "arn:aws:servicediscovery:us-east-1:111122223333:service/srv-1", true)]
    [InlineData("ec2:RunInstances", "*", false)]
    public void Admin_Allows_AppMesh_And_CloudMap_Only(string action, string resource, bool allowed) =>
        Assert.Equal(allowed, KeyPolicy.Admin.Allows(action, resource));

    [Theory]
    [InlineData("appmesh:DescribeMesh", true)]
    [InlineData("appmesh:ListVirtualNodes", true)]
    [InlineData("servicediscovery:DiscoverInstances", true)]
    [InlineData("appmesh:UpdateRoute", false)]
    [InlineData("servicediscovery:RegisterInstance", false)]
    public void ReadOnly_Allows_Reading_Only(string action, bool allowed) => Assert.Equal(allowed, KeyPolicy.ReadOnly.Allows(action, Node));

    [Fact]
    public void A_Proxy_Key_Streams_Its_Own_Node_Only()
    {
        var policy = KeyPolicy.Proxy(Node);

        Assert.True(policy.Allows("appmesh:StreamAggregatedResources", Node));
        Assert.True(policy.Allows("APPMESH:streamaggregatedresources", Node)); // actions ignore case, as IAM's do
        Assert.False(policy.Allows("appmesh:StreamAggregatedResources", Node.Replace("/web", "/api", StringComparison.Ordinal)));
        Assert.False(policy.Allows("appmesh:StreamAggregatedResources", Node.ToUpperInvariant())); // resources do not
        Assert.False(policy.Allows("appmesh:DescribeVirtualNode", Node));
    }

    [Fact]
    public void Round_Trips_Through_Json()
    {
        var policy = new KeyPolicy([new PolicyStatement(["appmesh:Describe*", "appmesh:List*"], ["arn:aws:appmesh:*:*:mesh/prod/*"])]);

        var again = KeyPolicy.FromJson(policy.ToJson());

        Assert.Equal(policy.Summary, again.Summary);
        Assert.True(again.Allows("appmesh:DescribeRoute", "arn:aws:appmesh:eu-west-1:111122223333:mesh/prod/virtualRouter/r/route/x"));
        Assert.False(again.Allows("appmesh:DescribeRoute", "arn:aws:appmesh:eu-west-1:111122223333:mesh/dev/virtualRouter/r/route/x"));
        Assert.Equal("appmesh:Describe*,appmesh:List* on arn:aws:appmesh:*:*:mesh/prod/*", again.Summary);
    }

    [Theory]
    [InlineData("*", "anything/at:all", true)]
    [InlineData("mesh/*/virtualNode/web", "mesh/prod/virtualNode/web", true)]
    [InlineData("mesh/?/x", "mesh/a/x", true)]
    [InlineData("mesh/?/x", "mesh/ab/x", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    public void Wildcards_Match_As_Iam_Globs(string pattern, string value, bool matches) =>
        Assert.Equal(matches, Wildcard.Matches(pattern, value, ignoreCase: false));
}
