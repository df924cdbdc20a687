using Mesh.Model.Identity;
using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Identity;

public sealed class ArnTests
{
    [Fact]
    public void Builds_And_Parses_The_Same_Six_Parts()
    {
        var arn = Arn.AppMesh("eu-west-1", "444455556666", "mesh/demo/virtualNode/web");

        Assert.Equal("arn:aws:appmesh:eu-west-1:444455556666:mesh/demo/virtualNode/web", arn.ToString());
        Assert.True(Arn.TryParse(arn.ToString(), out var parsed));
        Assert.Equal(arn, parsed);
    }

    [Fact]
    public void Keeps_Colons_In_The_Resource()
    {
        Assert.True(Arn.TryParse("arn:aws:servicediscovery:us-east-1:111122223333:service/srv-1:extra", out var arn));
        Assert.Equal("service/srv-1:extra", arn.Value.Resource);
        Assert.Equal("arn:aws:servicediscovery:us-east-1:111122223333:", Arn.Prefix(Arn.CloudMapService, "us-east-1", "111122223333"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("mesh/demo")]
    [InlineData("arn:aws:appmesh:us-east-1")]
    [InlineData("arn::appmesh:us-east-1:111122223333:mesh/demo")]
    public void Refuses_What_Is_Not_An_Arn(string? text) => Assert.False(Arn.TryParse(text, out _));

    [Theory]
    [InlineData("111122223333", true)]
    [InlineData("11112222333", false)]
    [InlineData("1111222233334", false)]
    [InlineData("11112222333x", false)]
    [InlineData(null, false)]
    public void Accounts_Are_Twelve_Digits(string? account, bool valid) => Assert.Equal(valid, Arn.IsAccountId(account));

    [Fact]
    public void Resource_Ids_Round_Trip_Through_Their_Arn()
    {
        var route = new ResourceId(ResourceKind.Route, "demo", "router", "r1");
        var arn = route.ToArn("us-east-1", "111122223333");

        Assert.Equal("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualRouter/router/route/r1", arn);
        Assert.Equal(("us-east-1", "111122223333", route), ResourceId.TryParseArn(arn));
        Assert.Null(ResourceId.TryParseArn("arn:aws:servicediscovery:us-east-1:111122223333:mesh/demo"));
    }

    [Fact]
    public void Proxy_Identities_Write_Their_Arn()
    {
        var identity = new ProxyIdentity(new MeshKey("444455556666", "demo"), ProxyKind.VirtualGateway, "edge");

        Assert.Equal("mesh/demo/virtualGateway/edge", identity.ShortForm);
        Assert.Equal("arn:aws:appmesh:us-west-2:444455556666:mesh/demo/virtualGateway/edge", identity.ToArn("us-west-2"));
        Assert.Equal(ResourceKind.VirtualGateway, identity.Kind.ToResourceKind());
    }
}
