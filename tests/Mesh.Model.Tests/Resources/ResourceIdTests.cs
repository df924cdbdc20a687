using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class ResourceIdTests
{
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
