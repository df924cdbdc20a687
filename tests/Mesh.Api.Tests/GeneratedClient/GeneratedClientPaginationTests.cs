using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>limit and nextToken as the generated client sends and reads them.</summary>
public sealed class GeneratedClientPaginationTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task Pages_CoverEveryNodeOnceInOrder()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        var names = Enumerable.Range(0, 7).Select(i => $"node-{i}").ToList();
        foreach (var name in names)
        {
            await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput { VirtualNodeName = name, Spec = new VirtualNodeSpec() });
        }

        var sizes = new List<int>();
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await client.ListVirtualNodesAsync(mesh, limit: 3, nextToken: token);
            WireAssert.FullyDescribed(page);
            sizes.Add(page.VirtualNodes.Count);
            seen.AddRange(page.VirtualNodes.Select(n => n.VirtualNodeName));
            Assert.All(page.VirtualNodes, n => Assert.Equal(ResourceAssert.Arn($"mesh/{mesh}/virtualNode/{n.VirtualNodeName}"), n.Arn));
            token = page.NextToken;
        }
        while (token is not null && sizes.Count < 10);

        Assert.Equal([3, 3, 1], sizes);
        Assert.Equal(names, seen);
    }

    [Fact]
    public async Task WithoutLimit_OnePageHasEverythingAndNoToken()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        await client.CreateVirtualGatewayAsync(mesh, new CreateVirtualGatewayInput { VirtualGatewayName = "a", Spec = OneListener() });
        await client.CreateVirtualGatewayAsync(mesh, new CreateVirtualGatewayInput { VirtualGatewayName = "b", Spec = OneListener() });

        var page = await client.ListVirtualGatewaysAsync(mesh);

        Assert.Equal(["a", "b"], page.VirtualGateways.Select(g => g.VirtualGatewayName));
        Assert.Null(page.NextToken);
    }

    private static VirtualGatewaySpec OneListener() => new()
    {
        Listeners = [new VirtualGatewayListener { PortMapping = new VirtualGatewayPortMapping { Port = 8080, Protocol = VirtualGatewayPortProtocol.Http } }],
    };
}
