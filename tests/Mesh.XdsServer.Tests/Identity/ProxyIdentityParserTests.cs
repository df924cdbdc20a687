using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Tests.Identity;

public sealed class ProxyIdentityParserTests
{
    private readonly ProxyIdentityParser _parser = new("111122223333");

    [Theory]
    [InlineData("mesh/demo/virtualNode/web", "111122223333", "demo", ProxyKind.VirtualNode, "web")]
    [InlineData("mesh/demo/virtualGateway/ingress-gw", "111122223333", "demo", ProxyKind.VirtualGateway, "ingress-gw")]
    [InlineData("arn:aws:appmesh:eu-west-1:444455556666:mesh/demo/virtualNode/web", "444455556666", "demo", ProxyKind.VirtualNode, "web")]
    [InlineData("arn:aws-cn:appmesh:cn-north-1:444455556666:mesh/demo/virtualGateway/gw", "444455556666", "demo", ProxyKind.VirtualGateway, "gw")]
    [InlineData("mesh/shared@777788889999/virtualNode/web", "777788889999", "shared", ProxyKind.VirtualNode, "web")]
    public void Accepts_Arns_And_Short_Forms(string nodeId, string account, string mesh, ProxyKind kind, string name)
    {
        Assert.True(_parser.TryParse(nodeId, out var identity, out var error), error);
        Assert.Equal(new ProxyIdentity(new MeshKey(account, mesh), kind, name), identity);
    }

    [Theory]
    [InlineData(null, "node.id is empty")]
    [InlineData("  ", "node.id is empty")]
    [InlineData("mesh/demo", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualNode/", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualNode/web/extra", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualRouter/r", "names a virtualRouter; only a virtualNode or virtualGateway can run a proxy")]
    [InlineData("arn:aws:appmesh:us-east-1:12:mesh/demo/virtualNode/web", "is not an App Mesh ARN")]
    [InlineData("arn:aws:ec2:us-east-1:111122223333:instance/i-1", "is not an App Mesh ARN")]
    [InlineData("mesh/demo@owner/virtualNode/web", "mesh owner that is not a 12-digit account")]
    public void Rejects_Malformed_Ids_With_A_Reason(string? nodeId, string reason)
    {
        Assert.False(_parser.TryParse(nodeId, out _, out var error));
        Assert.Contains(reason, error);
    }
}
