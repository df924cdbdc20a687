using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;

namespace Mesh.Api.Tests;

/// <summary>The parsed specs ResourceView keeps for reads: one per uid and version, so a new version is never answered with an old spec.</summary>
public sealed class ResourceViewCacheTests
{
    private readonly ResourceView view = new(ServiceModel.AppMesh);

    [Fact]
    public void StoredData_AnswersLikeData_AndParsesEachVersionOnce()
    {
        var node = Node(version: 1, port: 8080);

        var first = view.StoredData(ResourceKind.VirtualNode, node, ResourceView.Active);
        var second = view.StoredData(ResourceKind.VirtualNode, node, ResourceView.Active);

        Assert.True(JsonNode.DeepEquals(view.Data(ResourceKind.VirtualNode, node, ResourceView.Active), first));
        Assert.Equal(first.ToJsonString(), second.ToJsonString());
        Assert.Equal(1, view.CachedSpecCount);
    }

    [Fact]
    public void StoredData_ANewVersion_IsAnsweredWithItsOwnSpec()
    {
        var uid = Guid.NewGuid();
        view.StoredData(ResourceKind.VirtualNode, Node(version: 1, port: 8080, uid), ResourceView.Active);

        var updated = view.StoredData(ResourceKind.VirtualNode, Node(version: 2, port: 9090, uid), ResourceView.Active);

        Assert.Equal(9090, updated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal(2, updated["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(2, view.CachedSpecCount);
    }

    [Fact]
    public void StoredData_AnswersAreIndependentTrees()
    {
        var node = Node(version: 1, port: 8080);
        var first = view.StoredData(ResourceKind.VirtualNode, node, ResourceView.Active);

        // A caller changing its answer must not change the next one.
        first["spec"]!.AsObject()["listeners"] = new JsonArray();
        var second = view.StoredData(ResourceKind.VirtualNode, node, ResourceView.Active);

        Assert.Single(second["spec"]!["listeners"]!.AsArray());
    }

    [Fact]
    public void StoredData_KeepsNoMoreThanItsBound()
    {
        for (var i = 0; i < ResourceView.CachedSpecs + 5; i++)
        {
            view.StoredData(ResourceKind.VirtualNode, Node(version: 1, port: 8080), ResourceView.Active);
        }

        Assert.InRange(view.CachedSpecCount, 1, ResourceView.CachedSpecs);
    }

    private static ResourceEntity Node(long version, int port, Guid? uid = null) => new()
    {
        AccountId = "111122223333",
        MeshName = "m",
        Kind = ResourceKind.VirtualNode.WireName,
        ParentName = "",
        Name = "web",
        Arn = "arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualNode/web",
        Uid = uid ?? Guid.NewGuid(),
        Version = version,
        Spec = $$$"""{"listeners": [{"portMapping": {"port": {{{port}}}, "protocol": "http"}}]}""",
        Tags = "[]",
        ResourceOwner = "111122223333",
        CreatedAt = DateTimeOffset.UnixEpoch,
        LastUpdatedAt = DateTimeOffset.UnixEpoch,
    };
}
