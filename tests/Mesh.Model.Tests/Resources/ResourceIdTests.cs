using Mesh.Model.Identity;
using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class ResourceIdTests
{
    [Fact]
    public void ToArn_IsTheArnOfItsPath_ForEveryKind()
    {
        foreach (var kind in ResourceKind.All)
        {
            var id = kind.IsMesh
                ? ResourceId.ForMesh("m-ü.1")
                : new ResourceId(kind, "m-ü.1", kind.Parent is null ? "" : "p_2", "n 3/€");

            Assert.Equal(Arn.AppMesh("eu-west-2", "444455556666", id.ArnPath).ToString(), id.ToArn("eu-west-2", "444455556666"));
        }
    }

    [Theory]
    [InlineData("mesh", "", "demo", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo")]
    [InlineData("virtualNode", "", "web", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web")]
    [InlineData("route", "router", "r1", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualRouter/router/route/r1")]
    [InlineData("gatewayRoute", "gw", "g1", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualGateway/gw/gatewayRoute/g1")]
    public void Arn_RoundTrips(string kind, string parent, string name, string arn)
    {
        var id = kind == "mesh" ? ResourceId.ForMesh("demo") : new ResourceId(ResourceKind.FromWireName(kind), "demo", parent, name);
        Assert.Equal(arn, id.ToArn("us-east-1", "111122223333"));
        var parsed = ResourceId.TryParseArn(arn);
        Assert.NotNull(parsed);
        Assert.Equal(("us-east-1", "111122223333", id), parsed.Value);
    }

    [Theory]
    [InlineData("not-an-arn")]
    [InlineData("arn:aws:s3:::bucket")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/route/r1")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web/extra")]
    public void Arn_RejectsWhatIsNotAnAppMeshArn(string arn) => Assert.Null(ResourceId.TryParseArn(arn));
}
