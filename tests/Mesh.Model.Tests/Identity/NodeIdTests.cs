using Mesh.Model.Identity;

namespace Mesh.Model.Tests.Identity;

/// <summary>The one set of node-id rules the bootstrap writer, the webhook and the xDS server share.</summary>
public sealed class NodeIdTests
{
    private const string DefaultAccount = "111122223333";

    [Theory]
    [InlineData("mesh/demo/virtualNode/web", "111122223333", "demo", ProxyKind.VirtualNode, "web")]
    [InlineData("mesh/demo/virtualGateway/ingress-gw", "111122223333", "demo", ProxyKind.VirtualGateway, "ingress-gw")]
    [InlineData("arn:aws:appmesh:eu-west-1:444455556666:mesh/demo/virtualNode/web", "444455556666", "demo", ProxyKind.VirtualNode, "web")]
    [InlineData("arn:aws-cn:appmesh:cn-north-1:444455556666:mesh/demo/virtualGateway/gw", "444455556666", "demo", ProxyKind.VirtualGateway, "gw")]
    [InlineData("mesh/shared@777788889999/virtualNode/web", "777788889999", "shared", ProxyKind.VirtualNode, "web")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/shared@444455556666/virtualGateway/edge", "444455556666", "shared", ProxyKind.VirtualGateway, "edge")]
    public void Accepts_Arns_And_Short_Forms(string nodeId, string account, string mesh, ProxyKind kind, string name)
    {
        Assert.True(NodeId.TryParse(nodeId, out var node, out var error), error);
        Assert.Equal(new ProxyIdentity(new MeshKey(account, mesh), kind, name), node.ToIdentity(DefaultAccount));
        Assert.Equal(nodeId, node.Value);
    }

    [Fact]
    public void Keeps_The_Owner_Apart_From_The_Mesh_Name()
    {
        var node = NodeId.Parse("mesh/shared@444455556666/virtualGateway/edge");

        Assert.Equal("shared", node.Mesh);
        Assert.Equal("444455556666", node.MeshOwner);
        Assert.Null(node.ArnAccountId);
        Assert.Null(node.ArnRegion);
        Assert.Equal("virtualGateway", node.Kind.WireName());
        Assert.Equal("virtual_gateway", node.Kind.SnakeName());
    }

    [Fact]
    public void Keeps_The_Region_Of_An_Arn_For_Those_That_Serve_One_Region()
    {
        var node = NodeId.Parse("arn:aws:appmesh:eu-west-1:444455556666:mesh/demo/virtualNode/web");

        Assert.Equal(("eu-west-1", "444455556666"), (node.ArnRegion, node.ArnAccountId));
    }

    [Theory]
    [InlineData(null, "node.id is empty (missing)")]
    [InlineData("  ", "node.id is empty")]
    [InlineData("mesh/demo", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualNode/", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualNode/web/extra", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualRouter/r", "names a virtualRouter; only a virtualNode or virtualGateway can run a proxy")]
    [InlineData("arn:aws:appmesh:us-east-1:12:mesh/demo/virtualNode/web", "is not an App Mesh ARN")]
    [InlineData("arn:aws:ec2:us-east-1:111122223333:instance/i-1", "is not an App Mesh ARN")]
    [InlineData("arn::appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", "is not an App Mesh ARN")]
    [InlineData("mesh/demo@owner/virtualNode/web", "mesh owner that is not a 12-digit account")]
    [InlineData("mesh/@444455556666/virtualNode/web", "mesh owner that is not a 12-digit account")]
    [InlineData("mesh/demo/virtualNode/we\u0001b", "contains control characters")]
    [InlineData("mesh/demo/virtualNode/web\n", "contains control characters")]
    public void Rejects_Malformed_Ids_With_A_Reason(string? nodeId, string reason)
    {
        Assert.False(NodeId.TryParse(nodeId, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Names_The_Value_As_The_Caller_Calls_It()
    {
        Assert.False(NodeId.TryParse("mesh/demo", out _, out var error, subject: "node"));
        Assert.StartsWith("node 'mesh/demo'", error);
        Assert.Throws<ArgumentException>(() => NodeId.Parse("web"));
    }
}
