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
/// An update's own answer is its template's bytes with the row's uid, version and createdAt put in the holes
/// (<see cref="UpdateAnswer.Fill"/>), not a second rendering: the bytes must be the ones rendering with the row's
/// values gives, for every form a time takes (whole seconds, one, two or three decimals), and the rendering is used
/// when the row's arn or owner is not the template's.
/// </summary>
public sealed class UpdateAnswerTests
{
    private readonly ResourceView view = new(ServiceModel.AppMesh);

    public static TheoryData<long, long> RowValues => new()
    {
        { 2, 1_732_000_000_000 },
        { 3, 1_732_000_000_500 },
        { 17, 1_732_000_000_120 },
        { 1_000_000, 1_732_000_000_123 },
        { long.MaxValue, 1_000 },
        { 9, 7 },
    };

    [Theory]
    [MemberData(nameof(RowValues))]
    public void AFilledAnswer_IsTheRenderingWithTheRowsValues(long version, long createdAtMilliseconds)
    {
        var entity = Node();
        var template = Template(entity);
        var uid = Guid.NewGuid();
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(createdAtMilliseconds);

        var filled = template.Fill(entity.Arn, entity.ResourceOwner, uid, version, createdAt);

        entity.Uid = uid;
        entity.Version = version;
        entity.CreatedAt = createdAt;
        Assert.NotNull(filled);
        Assert.Equal(Render(entity), Bytes(filled!));
        Assert.Equal(Render(entity), Bytes(filled!)); // sent again (a retry racing it), the same bytes
    }

    [Fact]
    public void ARowWithAnotherArnOrOwner_IsRenderedFromTheRow()
    {
        var entity = Node();
        var template = Template(entity);
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(1_732_000_000_123);

        Assert.Null(template.Fill("arn:aws:appmesh:eu-west-1:111122223333:mesh/m/virtualNode/web", entity.ResourceOwner, Guid.NewGuid(), 2, createdAt));
        Assert.Null(template.Fill(entity.Arn, "444455556666", Guid.NewGuid(), 2, createdAt));
    }

    [Fact]
    public void TheTemplate_IsWhatTheFunctionIsGiven_WithEachHoleOnce()
    {
        var entity = Node();
        var template = Template(entity);
        var text = template.Text;

        Assert.StartsWith("{\"virtualNode\":", text);
        Assert.Equal(3, template.Holes.Length);
        Assert.All(template.Holes, hole => Assert.Equal(text.IndexOf(hole, StringComparison.Ordinal), text.LastIndexOf(hole, StringComparison.Ordinal)));
    }

    /// <summary>As ResourceOperations makes it: the answer rendered with random values for uid, version and createdAt.</summary>
    private UpdateAnswer Template(ResourceEntity entity)
    {
        var holed = Clone(entity);
        holed.Uid = Guid.NewGuid();
        holed.Version = Random.Shared.NextInt64(1L << 40, long.MaxValue);
        holed.CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Random.Shared.NextInt64(1L << 40, 1L << 45));
        var data = Render(holed);
        var text = "{\"virtualNode\":" + Encoding.UTF8.GetString(data) + "}";
        return new UpdateAnswer(ResourceKind.VirtualNode.WireName, text, UpdateAnswer.HolesFor(holed.Uid, holed.Version, holed.CreatedAt),
            data, entity.Arn, entity.ResourceOwner);
    }

    /// <summary>The *Data bytes a create's or update's answer holds, rendered as the write path renders them.</summary>
    private byte[] Render(ResourceEntity entity)
    {
        var data = view.Data(ResourceKind.VirtualNode, entity, ResourceView.Active, RawJson.Of(Encoding.UTF8.GetBytes(entity.Spec)));
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            data.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Bytes(JsonObject answer)
    {
        Assert.True(RawJson.TryGetUtf8(answer[ResourceKind.VirtualNode.WireName]!, out var utf8));
        return utf8.ToArray();
    }

    private static ResourceEntity Clone(ResourceEntity entity) => new()
    {
        AccountId = entity.AccountId, MeshName = entity.MeshName, Kind = entity.Kind, ParentName = entity.ParentName, Name = entity.Name,
        Arn = entity.Arn, Uid = entity.Uid, Version = entity.Version, Spec = entity.Spec, Tags = entity.Tags, Refs = entity.Refs,
        ResourceOwner = entity.ResourceOwner, CreatedAt = entity.CreatedAt, LastUpdatedAt = entity.LastUpdatedAt,
    };

    private static ResourceEntity Node() => new()
    {
        AccountId = "111122223333",
        MeshName = "m",
        Kind = ResourceKind.VirtualNode.WireName,
        ParentName = "",
        Name = "web",
        Arn = "arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualNode/web",
        Spec = """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"nöde-€-𝄞-\"q\\<>&"}}}""",
        Tags = "[]",
        ResourceOwner = "111122223333",
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1),
        LastUpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_732_000_100_450),
    };
}
