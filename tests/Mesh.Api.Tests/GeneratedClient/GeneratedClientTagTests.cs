using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>TagResource, UntagResource and ListTagsForResource (with its own paging) through the generated client.</summary>
public sealed class GeneratedClientTagTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task Tags_AreAddedListedInPagesAndRemoved()
    {
        var mesh = GeneratedClients.NewMeshName();
        var created = await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh, Tags = [new TagRef { Key = "team", Value = "payments" }] });
        var arn = created.Metadata.Arn;

        var tagged = await client.TagResourceAsync(arn, new TagResourceInput
        {
            Tags = [new TagRef { Key = "env", Value = "prod" }, new TagRef { Key = "cost-centre", Value = "42" }, new TagRef { Key = "team", Value = "orders" }],
        });
        WireAssert.FullyDescribed(tagged);

        var all = await ListAllAsync(arn, limit: 2);
        Assert.Equal([("cost-centre", "42"), ("env", "prod"), ("team", "orders")], all.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value)));

        var untagged = await client.UntagResourceAsync(arn, new UntagResourceInput { TagKeys = ["env", "not-there"] });
        WireAssert.FullyDescribed(untagged);

        var left = await client.ListTagsForResourceAsync(arn);
        WireAssert.FullyDescribed(left);
        Assert.Null(left.NextToken);
        Assert.Equal(["cost-centre", "team"], left.Tags.Select(t => t.Key).Order(StringComparer.Ordinal));

        // Tags are not part of the resource's spec: tagging leaves its version alone.
        Assert.Equal(1, (await client.DescribeMeshAsync(mesh)).Metadata.Version);
    }

    [Fact]
    public async Task ChildResources_CarryTheirOwnTags()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        var node = await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput
        {
            VirtualNodeName = "web",
            Spec = new VirtualNodeSpec(),
            Tags = [new TagRef { Key = "tier", Value = "front" }],
        });

        var tags = await client.ListTagsForResourceAsync(node.Metadata.Arn);

        Assert.Equal(("tier", "front"), (Assert.Single(tags.Tags).Key, tags.Tags.Single().Value));
        Assert.Empty((await client.ListTagsForResourceAsync(ResourceAssert.Arn($"mesh/{mesh}"))).Tags);
    }

    private async Task<List<TagRef>> ListAllAsync(string arn, int limit)
    {
        var tags = new List<TagRef>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await client.ListTagsForResourceAsync(arn, limit, token);
            WireAssert.FullyDescribed(page);
            Assert.InRange(page.Tags.Count, 1, limit);
            tags.AddRange(page.Tags);
            token = page.NextToken;
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(2, pages);
        return tags;
    }
}
