using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>Meshes created, read, listed, updated and deleted through the generated client.</summary>
public sealed class GeneratedClientMeshTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task Mesh_RoundTrips()
    {
        var name = GeneratedClients.NewMeshName();
        var spec = new MeshSpec
        {
            EgressFilter = new EgressFilter { Type = EgressFilterType.ALLOW_ALL },
            ServiceDiscovery = new MeshServiceDiscovery { IpPreference = IpPreference.IPv4_PREFERRED },
        };

        var created = await client.CreateMeshAsync(new CreateMeshInput { MeshName = name, Spec = spec });
        WireAssert.FullyDescribed(created);
        Assert.Equal(name, created.MeshName);
        ResourceAssert.Metadata(created.Metadata, $"mesh/{name}", version: 1);
        Assert.Equal(MeshStatusCode.ACTIVE, created.Status.Status);
        WireAssert.SameJson(spec, created.Spec);

        var described = await client.DescribeMeshAsync(name);
        WireAssert.FullyDescribed(described);
        WireAssert.SameJson(created, described);

        var listed = await client.ListMeshesAsync();
        WireAssert.FullyDescribed(listed);
        var reference = Assert.Single(listed.Meshes, m => m.MeshName == name);
        Assert.Equal(created.Metadata.Arn, reference.Arn);
        Assert.Equal(created.Metadata.Version, reference.Version);
        Assert.Equal(created.Metadata.CreatedAt, reference.CreatedAt);
        Assert.Equal(ApiServer.AccountId, reference.MeshOwner);

        var newSpec = new MeshSpec { EgressFilter = new EgressFilter { Type = EgressFilterType.DROP_ALL } };
        var updated = await client.UpdateMeshAsync(name, new UpdateMeshInput { Spec = newSpec });
        WireAssert.FullyDescribed(updated);
        ResourceAssert.Updated(created.Metadata, updated.Metadata);
        WireAssert.SameJson(newSpec, updated.Spec);
        WireAssert.SameJson(updated, await client.DescribeMeshAsync(name));

        var deleted = await client.DeleteMeshAsync(name);
        WireAssert.FullyDescribed(deleted);
        Assert.Equal(MeshStatusCode.DELETED, deleted.Status.Status);
        Assert.Equal(updated.Metadata.Arn, deleted.Metadata.Arn);
        Assert.DoesNotContain((await client.ListMeshesAsync()).Meshes, m => m.MeshName == name);
    }

    [Fact]
    public async Task Timestamps_AreTheWiresEpochSecondsToTheMillisecond()
    {
        // The wire carries fractional epoch seconds; a document that called them integers would still
        // deserialize, rounded, so compare with the raw JSON the server sent.
        var name = GeneratedClients.NewMeshName();
        var created = await client.CreateMeshAsync(new CreateMeshInput { MeshName = name });

        var raw = (await api.SendAsync(System.Net.Http.HttpMethod.Get, Paths.Mesh(name))).AssertOk().Body!["metadata"]!;

        Assert.Equal(raw["createdAt"]!.GetValue<double>(), created.Metadata.CreatedAt);
        Assert.Equal(raw["lastUpdatedAt"]!.GetValue<double>(), created.Metadata.LastUpdatedAt);
        WireAssert.RecentEpochSeconds(created.Metadata.CreatedAt);
    }

    [Fact]
    public async Task Mesh_WithoutSpec_ComesBackWithAnEmptySpec()
    {
        // spec is optional on input but required on output, so the answer carries {} rather than nothing.
        var name = GeneratedClients.NewMeshName();

        var created = await client.CreateMeshAsync(new CreateMeshInput { MeshName = name });

        WireAssert.FullyDescribed(created);
        Assert.Null(created.Spec.EgressFilter);
        Assert.Null(created.Spec.ServiceDiscovery);
        // The document makes the body required, so the client sends {} rather than the JSON literal null.
        var updated = await client.UpdateMeshAsync(name, new UpdateMeshInput());
        Assert.Equal(2, updated.Metadata.Version);
        Assert.Null(updated.Spec.EgressFilter);
    }
}
