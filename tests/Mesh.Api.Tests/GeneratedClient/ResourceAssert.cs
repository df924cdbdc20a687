using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>What every App Mesh resource's metadata must say, read through the generated types.</summary>
public static class ResourceAssert
{
    public static string Arn(string path) => $"arn:aws:appmesh:{ApiServer.Region}:{ApiServer.AccountId}:{path}";

    public static void Metadata(ResourceMetadata metadata, string path, long version)
    {
        Assert.Equal(Arn(path), metadata.Arn);
        Assert.Equal(version, metadata.Version);
        Assert.Equal(ApiServer.AccountId, metadata.MeshOwner);
        Assert.Equal(ApiServer.AccountId, metadata.ResourceOwner);
        Assert.True(Guid.TryParse(metadata.Uid, out _), $"uid '{metadata.Uid}' is not a UUID");
        WireAssert.RecentEpochSeconds(metadata.CreatedAt);
        WireAssert.RecentEpochSeconds(metadata.LastUpdatedAt);
        Assert.True(metadata.LastUpdatedAt >= metadata.CreatedAt, $"lastUpdatedAt {metadata.LastUpdatedAt} is before createdAt {metadata.CreatedAt}");
    }

    /// <summary>An update keeps identity and creation time, bumps the version by one, and moves lastUpdatedAt on.</summary>
    public static void Updated(ResourceMetadata before, ResourceMetadata after)
    {
        Assert.Equal(before.Arn, after.Arn);
        Assert.Equal(before.Uid, after.Uid);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        Assert.Equal(before.Version + 1, after.Version);
        Assert.True(after.LastUpdatedAt >= before.LastUpdatedAt, $"lastUpdatedAt went back from {before.LastUpdatedAt} to {after.LastUpdatedAt}");
    }
}
