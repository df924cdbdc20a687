using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;

namespace Mesh.Api.Tests;

/// <summary>
/// A Describe's answer as <see cref="DataWriter"/> writes it from a stored row, with the parsed specs ResourceView keeps
/// for reads: the same JSON as <see cref="ResourceView.Data"/>, one parse per uid and version, so a new version is never
/// answered with an old spec.
/// </summary>
public sealed class ResourceViewCacheTests
{
    private readonly ResourceView view = new(ServiceModel.AppMesh);

    [Fact]
    public void Written_IsWhatDataAnswers_AndParsesEachVersionOnce()
    {
        var node = Node(version: 1, port: 8080);

        var first = Written(ResourceKind.VirtualNode, node);
        var second = Written(ResourceKind.VirtualNode, node);

        Assert.Equal(view.Data(ResourceKind.VirtualNode, node, ResourceView.Active).ToJsonString(), first);
        Assert.Equal(first, second);
        Assert.Equal(1, view.CachedSpecCount);
    }

    [Fact]
    public void Written_ForAChildKind_NamesItsParent_InTheShapesOrder()
    {
        var route = Node(version: 3, port: 8080);
        route.Kind = ResourceKind.Route.WireName;
        route.ParentName = "router";
        route.Name = "r1";
        route.Spec = """{"httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": [{"virtualNode": "web", "weight": 1}]}}}""";

        var written = Written(ResourceKind.Route, route);

        Assert.Equal(view.Data(ResourceKind.Route, route, ResourceView.Active).ToJsonString(), written);
        Assert.Equal("router", JsonNode.Parse(written)!["virtualRouterName"]!.GetValue<string>());
    }

    [Fact]
    public void Written_ANewVersion_IsAnsweredWithItsOwnSpec()
    {
        var uid = Guid.NewGuid();
        Written(ResourceKind.VirtualNode, Node(version: 1, port: 8080, uid));

        var updated = JsonNode.Parse(Written(ResourceKind.VirtualNode, Node(version: 2, port: 9090, uid)))!;

        Assert.Equal(9090, updated["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
        Assert.Equal(2, updated["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(2, view.CachedSpecCount);
    }

    [Fact]
    public void Spec_ReadsTheTextOnlyWhenNotCached()
    {
        var uid = Guid.NewGuid();
        var reads = 0;
        string Read(string text)
        {
            reads++;
            return text;
        }

        view.Spec(uid, 1, """{"a": 1}""", Read);
        var again = view.Spec(uid, 1, """{"a": 2}""", Read);

        Assert.Equal(1, reads);
        Assert.Equal(1, again.GetProperty("a").GetInt32());
    }

    [Fact]
    public void Spec_KeepsNoMoreThanItsBound()
    {
        for (var i = 0; i < ResourceView.CachedSpecs + 5; i++)
        {
            view.Spec(Guid.NewGuid(), 1, "{}", static text => text);
        }

        Assert.InRange(view.CachedSpecCount, 1, ResourceView.CachedSpecs);
    }

    private string Written(ResourceKind kind, ResourceEntity entity)
    {
        var spec = view.Spec(entity.Uid, entity.Version, entity.Spec, static text => text);
        var row = new DataRow(entity.Arn, entity.Uid, entity.Version, spec, entity.ResourceOwner, entity.CreatedAt, entity.LastUpdatedAt);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            view.DataOf(kind).Write(writer, entity.AccountId, new ResourceId(kind, entity.MeshName, entity.ParentName, entity.Name), row, ResourceView.Active);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
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
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_732_000_000_123),
        LastUpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_732_000_100_450),
    };
}
